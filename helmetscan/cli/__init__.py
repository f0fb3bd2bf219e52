"""The command line (``helmetscan``): the analyst's commands (:mod:`helmetscan.cli.analyst`) and the model tooling's
(:mod:`helmetscan.cli.tooling`), each in its own help panel. Expected faults become one line on stderr and an exit
code in one place (:func:`helmetscan.cli.common.exit_codes`): 0 every input processed, 1 some input (or the whole
run) failed, 2 usage or configuration error.
"""

from __future__ import annotations

import logging
from typing import Annotated, Optional

import typer

from helmetscan import __version__
from helmetscan.cli import analyst, export, plate_tooling, repair, tooling
from helmetscan.cli.common import Command, Group, out_console

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_show_locals=False, cls=Group)

ANALYST = "Analysis and review"
TOOLING = "Model tooling (from a source checkout)"


def _version(value: bool) -> None:
    if value:
        out_console.print(f"helmetscan {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log details (per-stage decisions) to stderr.")] = False,
) -> None:
    """Find motorcycle riders without a helmet in dashcam footage; read their plates; write evidence and reports."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


for name, command in (("analyze", analyst.analyze), ("report", analyst.report), ("verify", analyst.verify_cmd),
                      ("review", analyst.review_cmd),
                      ("export", export.export_cmd), ("config", analyst.config_cmd), ("plate", analyst.plate_cmd),
                      ("fetch-weights", analyst.fetch_weights), ("rebuild-db", repair.rebuild_db_cmd),
                      ("learn-plates", plate_tooling.learn_plates_cmd)):
    app.command(name, rich_help_panel=ANALYST, cls=Command)(command)

for name, command in tooling.COMMANDS:
    app.command(name, rich_help_panel=TOOLING, cls=Command)(command)
