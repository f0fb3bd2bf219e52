"""``helmetscan export``: filing packages of reviewed violations (:mod:`helmetscan.results.export`). Thin: parses
its options, calls the library, prints one line per package (case number, filing deadline, ZIP) on stdout and the
notes on stderr, in the analyst's language (``report.lang``, ``--lang``; the packages themselves are Korean)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from helmetscan import __version__
from helmetscan.cli.common import (
    LANG_DEFAULT, check_date, check_vehicle, exit_codes, fail, load, note, out_console, shown, texts,
)


def export_cmd(
    out: Annotated[Path, typer.Argument(help="Output folder of a previous `helmetscan analyze`.")],
    to: Annotated[Path, typer.Option("--to", help="Folder the packages are written into (created when missing).")],
    status: Annotated[str, typer.Option(help="Which violations: confirmed (on review), pending (not reviewed yet) or "
                                             "all (both); rejected ones never.")] = "confirmed",
    date: Annotated[Optional[str], typer.Option(help="Only violations of this local date (YYYY-MM-DD).")] = None,
    vehicle: Annotated[Optional[str], typer.Option(help="Only this vehicle's violations.")] = None,
    config: Annotated[Optional[Path], typer.Option(help="TOML file with settings (the `export` section: the filing "
                                                        "channel's limits and deadline).")] = None,
    lang: Annotated[Optional[str], typer.Option("--lang", help="Language of these messages: ko or en (the packages "
                                                               "are Korean).", show_default=LANG_DEFAULT)] = None,
) -> None:
    """Write a filing package per violation into DIR: a folder DIR/<case number>/ and its ZIP, with the unedited clip
    excerpt, the lossless frame and crops, the sheet as a one-page PDF, description.txt in Korean (with the filing
    deadline) and SHA256SUMS. Evidence is only read; an existing case folder is never overwritten."""
    from helmetscan.results.export import STATUSES, export

    settings = load(config, {"report": {"lang": lang}})
    language = settings.report.lang
    _ = texts(language)
    if status not in STATUSES:
        fail(_("--status %(value)s: expected one of %(choices)s", value=repr(status), choices=", ".join(STATUSES)), 2)
    if date is not None:
        check_date(date, language)
    with exit_codes(lang=language):
        if vehicle is not None:
            check_vehicle(out, vehicle, language)
        result = export(out, to, status, date, vehicle, settings.export, __version__)
    for line in result.notes:
        note(shown(line, language))
    for package in result.packages:
        deadline = package.deadline.isoformat() if package.deadline else _("unknown (no recording time)")
        out_console.print(_("%(case)s  filing deadline %(deadline)s  %(zip)s", case=package.case, deadline=deadline,
                            zip=package.zip_path), highlight=False, soft_wrap=True)
    out_console.print(_("%(n)s package(s) exported to %(folder)s", n=len(result.packages), folder=to),
                      highlight=False, soft_wrap=True)
