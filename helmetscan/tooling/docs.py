"""The README's generated sections: every setting, every record field and CSV column, listed from the models
themselves so the documentation cannot drift from the code. ``helmetscan docs README.md`` (``make docs``) rewrites
them (:func:`write_docs`); a test fails when they are stale.

A generated section sits between ``<!-- BEGIN generated: NAME -->`` and ``<!-- END generated: NAME -->``.
"""

from __future__ import annotations

import re
from pathlib import Path

from helmetscan.config import Settings
from helmetscan.core.fielddoc import iter_fields, markdown_table
from helmetscan.results.records import VideoRecord, ViolationRecord

_SECTION = re.compile(r"(<!-- BEGIN generated: (\w+) -->\n).*?(<!-- END generated: \2 -->)", re.DOTALL)


def _show(value) -> str:
    if value is None:
        return ""
    text = str(value).replace("|", "\\|")
    return f"`{text}`" if text else "`\"\"`"


def settings_table() -> str:
    """Every setting: TOML key, default, unit, meaning."""
    rows = [[f"`{name}`", _show(default), unit, description]
            for name, default, unit, description, _ in iter_fields(Settings, sections=False)]
    return markdown_table(["setting", "default", "unit", "meaning"], rows)


def record_table(model) -> str:
    """Every field of a record model: name, type, unit, meaning."""
    rows = [[f"`{name}`", typ, unit, description] for name, _, unit, description, typ in iter_fields(model)]
    return markdown_table(["field", "type", "unit", "meaning"], rows)


def csv_table() -> str:
    """Every column of ``violations.csv``: name, unit, meaning."""
    from helmetscan.results.report import CSV_FIELDS

    return markdown_table(["column", "unit", "meaning"],
                          [[f"`{name}`", unit, meaning] for name, (unit, meaning) in CSV_FIELDS.items()])


GENERATORS = {
    "csv_columns": csv_table,
    "settings": settings_table,
    "violation_record": lambda: record_table(ViolationRecord),
    "video_record": lambda: record_table(VideoRecord),
}


def update(text: str) -> str:
    """``text`` with every generated section replaced by its current content.

    Raises:
        KeyError: a section names no generator.
    """
    return _SECTION.sub(lambda m: m.group(1) + "\n" + GENERATORS[m.group(2)]() + "\n" + m.group(3), text)


def write_docs(path: Path = Path("README.md")) -> bool:
    """Rewrite the generated sections of the Markdown file ``path`` in place; returns whether anything changed (the
    file is not written otherwise).

    Raises:
        OSError: ``path`` cannot be read or written; KeyError: a section names no generator.
    """
    text = path.read_text(encoding="utf-8")
    new = update(text)
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text
