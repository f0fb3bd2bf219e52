"""Repairing an output folder: ``rebuild-db`` rebuilds its results database from the records when it is damaged or
lost (:mod:`helmetscan.results.rebuild`). Thin, like the analyst's commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from helmetscan import __version__
from helmetscan.cli.common import exit_codes, note, out_console


def rebuild_db_cmd(
    out: Annotated[Path, typer.Argument(help="Output folder of a previous `helmetscan analyze`.")],
    force: Annotated[bool, typer.Option("--force", help="Rebuild a database that reads fine too (the old one is "
                                                        "kept in OUT/.superseded).")] = False,
) -> None:
    """Rebuild OUT/helmetscan.db from the video.json and record.json files when it is damaged or lost, keeping the
    review decisions (from the old database, else from violations.csv); the old file is moved to OUT/.superseded,
    never deleted. Then rewrite SHA256SUMS and the reports."""
    from helmetscan.results.rebuild import rebuild_database

    with exit_codes():
        report = rebuild_database(out, __version__, force)
    if not report.rebuilt:
        out_console.print(f"{report.database} is readable; nothing to rebuild (--force rebuilds it anyway)",
                          highlight=False, markup=False, soft_wrap=True)
        return
    for line in report.skipped:
        note(line)
    if report.unreadable_review_rows:
        note(f"{report.unreadable_review_rows} row(s) of the old reviews table could not be read")
    if report.reviews_left_out:
        note(f"{report.reviews_left_out} review decision(s) left out: their violation is in no record")
    if report.analyse_again:
        note(f"{report.analyse_again} video(s) will be analysed again on the next run: their records predate the "
             "configuration hash")
    note(f"{report.old_database or report.database.parent}: {report.reason or 'readable; rebuilt as asked (--force)'}")
    sources = ", ".join(f"{n} from {source}" for source, n in report.reviews_from.items()) or "none recovered"
    aside = f"; the old one is kept as {report.old_database}" if report.old_database else ""
    out_console.print(f"Rebuilt {report.database} from the records: {report.videos} video(s), "
                      f"{report.violations} violation(s), {report.reviews} review decision(s) ({sources}){aside}",
                      highlight=False, markup=False, soft_wrap=True)
