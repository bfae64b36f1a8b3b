"""Read params files (``params.yaml``, ``.json``, ``.toml``, ``.py``) and look up dotted keys.

Values are kept exactly as loaded (YAML 1.2 via :mod:`dvcdoit.formats._yaml`), because
``dvc.lock`` stores them verbatim and DVC compares them with ``==``.
"""

from __future__ import annotations

import ast
import importlib
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dvcdoit.core.errors import FormatError, Problem
from dvcdoit.formats import _yaml

DEFAULT_PARAMS_FILE = "params.yaml"


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""Returned by :func:`lookup` when a key path does not exist."""


def parse_params(text: bytes, source: str) -> Any:
    """Parse params file content, choosing the parser by ``source``'s extension.

    ``.json`` → json, ``.toml`` → tomllib (Python 3.11+), ``.py`` → module-level literal
    assignments (and class bodies, as nested dicts), anything else → YAML 1.2.
    """
    suffix = Path(source).suffix.lower()
    if suffix == ".json":
        try:
            return json.loads(text.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FormatError([Problem(source, "", f"invalid JSON: {exc}")]) from None
    if suffix == ".toml":
        return _parse_toml(text, source)
    if suffix == ".py":
        return _parse_py(text, source)
    return _yaml.loads(text, source)


def _parse_toml(text: bytes, source: str) -> Any:
    if sys.version_info < (3, 11):  # pragma: no cover - exercised only on 3.10
        msg = "reading .toml params files needs Python 3.11+ (tomllib); use params.yaml"
        raise FormatError([Problem(source, "", msg)])
    tomllib: Any = importlib.import_module("tomllib")
    try:
        return tomllib.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise FormatError([Problem(source, "", f"invalid TOML: {exc}")]) from None


def _parse_py(text: bytes, source: str) -> dict[str, Any]:
    try:
        tree = ast.parse(text, filename=source)
    except SyntaxError as exc:
        raise FormatError([Problem(source, str(exc.lineno), f"invalid Python: {exc.msg}")]) from None
    return _py_body(tree.body)


def _py_body(body: list[ast.stmt]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for node in body:
        if isinstance(node, ast.ClassDef):
            result[node.name] = _py_body(node.body)
            continue
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        try:
            literal = ast.literal_eval(value)
        except ValueError:
            continue  # NOTE: DVC also skips assignments that are not literals
        for target in targets:
            if isinstance(target, ast.Name):
                result[target.id] = literal
    return result


def load_params(path: Path, source: str | None = None) -> Any:
    """Read and parse the params file at ``path`` (see :func:`parse_params`)."""
    return parse_params(path.read_bytes(), source or str(path))


def lookup(data: Any, key: str) -> Any:
    """Return the value at dotted ``key`` (``train.epochs``, ``layers.0``) or :data:`MISSING`."""
    node = data
    for part in key.split("."):
        if isinstance(node, Mapping):
            if part not in node:
                return MISSING
            node = node[part]
        elif isinstance(node, Sequence) and not isinstance(node, str):
            if not part.isdigit() or int(part) >= len(node):
                return MISSING
            node = node[int(part)]
        else:
            return MISSING
    return node


def select(data: Any, keys: Sequence[str]) -> dict[str, Any]:
    """Return ``{key: value}`` for each key found in ``data`` (missing keys are left out)."""
    found: dict[str, Any] = {}
    for key in keys:
        value = lookup(data, key)
        if value is not MISSING:
            found[key] = value
    return found
