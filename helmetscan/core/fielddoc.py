"""Documented fields: every setting and every record field carries a unit and a meaning, and the tables that list them
(``helmetscan config --show``, the README) are generated from the models, so they cannot drift from the code."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from enum import Enum
from typing import Any

from pydantic import BaseModel, Field


def documented(default: Any = ..., description: str = "", unit: str = "", shown_default: str | None = None,
               **constraints: Any) -> Any:
    """A pydantic ``Field`` with a ``unit`` (``px``, ``s``, ``frames``, ``0..1`` …) kept beside its description.
    A callable ``default`` (a function, or ``list`` / ``dict``) is used as the default factory; ``shown_default`` is
    what tables show instead of a default that depends on the machine (a folder under the user's home)."""
    extra = {k: v for k, v in (("unit", unit), ("shown_default", shown_default)) if v} or None
    if default in (list, dict) or callable(default) and not isinstance(default, type):
        return Field(default_factory=default, description=description, json_schema_extra=extra, **constraints)
    return Field(default, description=description, json_schema_extra=extra, **constraints)


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model inside ``Model``, ``Model | None`` or ``list[Model]``; ``None`` for a plain value."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, list):
        for arg in typing.get_args(annotation):
            found = _nested_model(arg)
            if found:
                return found
    return None


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return " \\| ".join(repr(m.value) for m in annotation)
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "").replace("pathlib.", "").replace("|", "\\|")


def iter_fields(model: type[BaseModel], prefix: str = "", sections: bool = True
                ) -> Iterator[tuple[str, Any, str, str, str]]:
    """Every field of ``model`` as ``(dotted name, default, unit, description, type)`` in declaration order; nested
    models are walked (a list of models as ``name[].field``), each preceded by a row of its own unless ``sections``
    is false (then only the leaves)."""
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        nested = _nested_model(field.annotation)
        if nested is not None:
            is_list = typing.get_origin(field.annotation) is list
            if sections:
                name = _type_name(nested)
                yield key, None, "", field.description or nested.__doc__.split("\n")[0], (
                    f"list[{name}]" if is_list else name)
            yield from iter_fields(nested, key + ("[]." if is_list else "."), sections)
            continue
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        default = None if field.is_required() else field.get_default(call_default_factory=True)
        default = extra.get("shown_default", default)
        yield key, default, extra.get("unit", ""), field.description or "", _type_name(field.annotation)


def markdown_table(header: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table; ``|`` inside cells is escaped, ``None`` shown as ``–``."""

    def cell(value: Any) -> str:
        return "–" if value is None else str(value).replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"
