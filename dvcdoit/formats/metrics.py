"""Read metrics files (JSON, YAML, TOML) and flatten them as DVC 3.67.1 does.

DVC keeps numbers, strings and booleans; lists, nulls and empty mappings are dropped
(``_extract_metrics``); nested keys are joined with dots for the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from dvcdoit.core.errors import FormatError, Problem
from dvcdoit.formats.params import parse_params

Scalar = int | float | str


def parse_metrics(text: bytes, source: str) -> Any:
    """Parse a metrics file by extension (``.json``, ``.toml``, anything else YAML)."""
    if PurePosixPath(source).suffix.lower() == ".py":
        raise FormatError([Problem(source, "", "metrics files are JSON, YAML or TOML")])
    return parse_params(text, source)


def extract(data: Any) -> Any:
    """DVC's ``_extract_metrics``: scalars stay, mappings recurse, anything else is dropped."""
    if isinstance(data, (int, float, str)):
        return data
    if not isinstance(data, Mapping):
        return None
    out: dict[str, Any] = {}
    for key, value in data.items():
        kept = extract(value)
        if kept is not None and kept != {}:
            out[str(key)] = kept
    return out


def flatten(data: Any, prefix: str = "") -> dict[str, Scalar]:
    """``{"a": {"b": 1}}`` → ``{"a.b": 1}`` (the table's column names); a file that is one
    scalar (a ``.txt`` read as YAML: ``hello``) is the column named ``""``, as in DVC."""
    if not isinstance(data, Mapping):
        return {prefix: data}
    out: dict[str, Scalar] = {}
    for key, value in data.items():
        out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


def format_value(value: Any, precision: int) -> str:
    """A table cell: floats rounded to ``precision`` digits (``round``, then ``str``)."""
    if isinstance(value, float) and not isinstance(value, bool) and precision:
        return str(round(value, precision))
    return str(value)
