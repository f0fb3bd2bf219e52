"""What every command shares: the two consoles, the one-line error, the settings of a command, the one place
where an expected fault becomes an exit code, and the analyst's texts in their language (``report.lang``: the
catalogue of the pages; the model tooling's stay English).

Exit codes (README, *Usage*): 0 every input processed; 1 some input, or the whole run, failed; 2 a usage or
configuration error, found before any work; 3 the output folder is full or another run holds it (nothing lost; re-run
to resume).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from typer.core import TyperCommand, TyperGroup

from helmetscan.config import Settings
from helmetscan.core.errors import ConfigError, HelmetscanError, OutputUnavailable

#: Progress, notes and errors (stderr), and results (stdout), so a script can read the results alone.
console = Console(stderr=True)
out_console = Console()

#: How ``--help`` shows the default of ``--lang`` (the setting ``report.lang``).
LANG_DEFAULT = "report.lang: from the locale (ko when LANG starts with ko, else en)"

#: Expected faults and their exit codes, most specific first: a bad setting, option or model choice is a usage error;
#: an output folder that is full or held by another run stops the batch without fault of any input (3: free space,
#: or wait, and re-run); any other expected fault (a file that fails, missing weights, bad stored results) fails the
#: command.
EXIT_CODES: tuple[tuple[type[Exception], int], ...] = ((ConfigError, 2), (OutputUnavailable, 3), (HelmetscanError, 1))


def error(message: str, target: Console | None = None) -> None:
    """One line on stderr starting with ``error:``, never wrapped (scripts grep for it); markup in ``message`` is not
    interpreted."""
    from rich.markup import escape

    (target or console).print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)


def fail(message: str, code: int) -> NoReturn:
    """Print ``message`` as one error line and exit with ``code``."""
    error(message)
    raise typer.Exit(code)


def note(message: str) -> None:
    """One line on stderr, unwrapped and without markup."""
    console.print(message, highlight=False, markup=False, soft_wrap=True)


def texts(lang: str) -> Callable[..., str]:
    """The analyst's command-line texts in ``lang`` (``ko``, ``en``), from the pages' catalogue
    (:func:`helmetscan.results.report.translations`): ``_ = texts(lang)``, then ``_(english)``, or
    ``_(english, name=value)`` to fill its ``%(name)s`` placeholders."""
    from helmetscan.results.report import translations

    translate = translations(lang).gettext

    def _(message: str, **values: Any) -> str:
        return translate(message) % values if values else translate(message)

    return _


def shown(message: str, lang: str) -> str:
    """A message of the library (a video's error, an export note, a fault: :mod:`helmetscan.core.messages`) in
    ``lang``; one it does not know stays as written (English)."""
    if lang == "en":
        return message
    from helmetscan.core.messages import message_text
    from helmetscan.results.report import translations

    return message_text(message, translations(lang))


@contextmanager
def exit_codes(prefix: str = "", failing: tuple[type[Exception], ...] = (), lang: str = "en") -> Iterator[None]:
    """Turn an expected fault raised inside the block into its one line and exit code (:data:`EXIT_CODES`).

    Args:
        prefix: put before the message of a failure (exit code 1; the command's name, where the fault does not
            name it). A configuration error names its setting and gets none.
        failing: further exception types that fail the command with exit code 1 (e.g. ``OSError`` for the tooling,
            whose inputs are files of a data set).
        lang: the analyst's language (:func:`shown`); the model tooling's messages stay English.
    """
    try:
        yield
    except typer.Exit:
        raise
    except tuple(kind for kind, _ in EXIT_CODES) + failing as exc:
        code = next((c for kind, c in EXIT_CODES if isinstance(exc, kind)), 1)
        fail(f"{prefix if code == 1 else ''}{shown(str(exc), lang)}", code)


def load(config: Path | None, overrides: dict[str, Any] | None = None) -> Settings:
    """The settings of a command: defaults, then the ``config`` file, then the command-line ``overrides``; a bad
    setting exits with code 2."""
    from helmetscan.config import load_settings

    with exit_codes():
        return load_settings(config, overrides or {})


@functools.cache
def _defaults() -> dict[str, str]:
    from helmetscan.core.fielddoc import iter_fields

    return {name: str(default) for name, default, *_ in iter_fields(Settings, sections=False)}


def default(key: str) -> str:
    """The default of a dotted setting, as ``--help`` shows it (options left unset fall back to the settings)."""
    return _defaults()[key]


class _FlagsWithoutType:
    """``--help`` without typer's ``<bool>`` label on flags (``--force``, ``--sources/--no-sources``, ``--help``): a
    flag takes no value, so there is no type to show. Typer has no setting for it; an empty metavar is what it shows
    in that column."""

    def get_params(self, ctx):
        params = super().get_params(ctx)
        for param in params:
            if getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""
        return params


class Command(_FlagsWithoutType, TyperCommand):
    """Every helmetscan command (``app.command(cls=Command)``)."""


class Group(_FlagsWithoutType, TyperGroup):
    """The ``helmetscan`` group itself (its ``--version``, ``--verbose``)."""


def check_date(text: str, lang: str = "en") -> None:
    """``--date``: a real calendar date written YYYY-MM-DD (the form the results store), else exit 2 (the error in
    ``lang``)."""
    import re
    from datetime import date

    _ = texts(lang)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) is None:
        fail(_("--date %(value)s: expected a date written YYYY-MM-DD, such as 2026-11-21", value=repr(text)), 2)
    try:
        date.fromisoformat(text)
    except ValueError as exc:
        fail(_("--date %(value)s: not a date (%(reason)s)", value=repr(text), reason=exc), 2)


def check_vehicle(out: Path, vehicle: str, lang: str = "en") -> None:
    """``--vehicle``: one of the vehicle names of the videos and violations ``out``'s database holds (read-only),
    else exit 2 with the known ones (the error in ``lang``).

    Raises:
        ResultsError: ``out`` is not a results folder, or its database is damaged.
    """
    from helmetscan.results.database import ResultsDB

    db = ResultsDB(out, create=False)
    try:
        rows = db.db.execute("select vehicle from videos union select vehicle from violations").fetchall()
    finally:
        db.close()
    known = sorted({name for name, in rows if name})
    if vehicle not in known:
        _ = texts(lang)
        fail(_("--vehicle %(value)s: no such vehicle in %(out)s's results (known: %(known)s)", value=repr(vehicle),
               out=out, known=", ".join(known) if known else _("none: no video has a vehicle name")), 2)
