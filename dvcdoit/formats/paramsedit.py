"""Write a changed ``params.yaml`` back as ``dvc exp run -S`` does (ruamel round trip + merge).

Measured with ``dvc==3.67.1`` (docs/experiments.md): DVC loads the file with ruamel's round
trip loader, applies the overrides to a plain copy, and merges the copy back key by key. So:

- key order is kept, new keys go last in their mapping; mappings are re-indented to 2 spaces;
- comments and blank lines are kept; a trailing comment keeps its column (one space at least);
- a scalar whose value did not change keeps its text (``0.010``, ``1e-3``), except that a
  string loses quotes it does not need; a changed scalar is written as ruamel writes the Python
  value (``0.3``, ``1e-10``, ``1000.0``, ``null`` as nothing);
- every list is written again in block style (a flow ``[1, 2, 3]`` too, changed or not), and
  the comments inside a list are lost.

Plain scalars, mappings and lists are all a params file holds; the text of each line comes
from :func:`dvcdoit.formats._yaml.dumps`, the one YAML writer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from dvcdoit.core.errors import FormatError, Problem
from dvcdoit.formats import _yaml

Path_ = tuple[Any, ...]


@dataclass
class _Original:
    """What the old text tells about each key: its value's text, comments around it."""

    text: str
    scalars: dict[Path_, tuple[Any, str, bool]] = field(default_factory=dict)
    """path → (old value, source text, plain) for scalar values"""
    before: dict[Path_, list[str]] = field(default_factory=dict)
    trailing: dict[Path_, tuple[int, str]] = field(default_factory=dict)
    tail: list[str] = field(default_factory=list)


def _comment_at(line: str) -> int:
    """The column where ``line``'s comment starts (outside quotes), or -1."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return i
    return -1


def _walk(node: Any, value: Any, path: Path_, orig: _Original, key_lines: dict[int, Path_]) -> None:
    if isinstance(node, yaml.MappingNode) and isinstance(value, dict):
        for (knode, vnode), key in zip(node.value, value, strict=False):
            key_lines.setdefault(knode.start_mark.line, (*path, key))
            _walk(vnode, value[key], (*path, key), orig, key_lines)
    elif isinstance(node, yaml.ScalarNode):
        src = orig.text[node.start_mark.index:node.end_mark.index]
        orig.scalars[path] = (value, src, not node.style)
        if node.end_mark.line != node.start_mark.line:
            for line in range(node.start_mark.line + 1, node.end_mark.line + 1):
                key_lines.setdefault(line, ())  # NOTE: inside a value: no comments there


def _read(text: str, source: str) -> tuple[Any, _Original]:
    orig = _Original(text)
    loader = _yaml.Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise FormatError([Problem(source, "", f"invalid YAML: {' '.join(str(exc).split())}")]
                          ) from None
    finally:
        loader.dispose()
    key_lines: dict[int, Path_] = {}
    if node is not None:
        _walk(node, data, (), orig, key_lines)
    pending: list[str] = []
    for number, line in enumerate(text.splitlines()):
        at = _comment_at(line)
        if not line.strip() or line.lstrip().startswith("#"):
            pending.append(line)
        elif key_lines.get(number):
            path = key_lines[number]
            orig.before[path], pending = pending, []
            if at >= 0:
                orig.trailing[path] = (at, line[at:])
    orig.tail = pending
    return data, orig


def _scalar_text(value: Any, path: Path_, orig: _Original) -> str:
    old = orig.scalars.get(path)
    if (old is not None and old[2] and not isinstance(value, str)
            and type(old[0]) is type(value) and old[0] == value):
        return old[1]  # NOTE: ruamel keeps the text of an unchanged number or bool
    return _yaml.dumps({"k": value})[2:].strip()


def _key_line(indent: int, key: Any, rest: str, path: Path_, orig: _Original) -> str:
    head = " " * indent + _yaml.dumps({key: None}).rstrip("\n") + rest
    comment = orig.trailing.get(path)
    if comment is None:
        return head
    col, text = comment
    return head.ljust(col) + text if len(head) < col else f"{head} {text}"


def _emit(data: dict[Any, Any], indent: int, path: Path_, orig: _Original, out: list[str]) -> None:
    for key, value in data.items():
        here = (*path, key)
        out += orig.before.get(here, [])
        if isinstance(value, dict) and value:
            out.append(_key_line(indent, key, "", here, orig))
            _emit(value, indent + 2, here, orig, out)
        elif isinstance(value, list) and value:
            out.append(_key_line(indent, key, "", here, orig))
            block = _yaml.dumps(value).splitlines()
            out += [" " * indent + line for line in block]
        else:
            text = _scalar_text(value, here, orig)
            out.append(_key_line(indent, key, f" {text}" if text else "", here, orig))


def rewrite(text: str, new: dict[str, Any], source: str) -> str:
    """The text DVC writes for the params file ``text`` whose data becomes ``new``."""
    _, orig = _read(text, source)
    out: list[str] = []
    _emit(new, 0, (), orig, out)
    out += orig.tail
    return "\n".join(out) + "\n"


def load(text: str, source: str) -> Any:
    """The data of params file ``text`` (``{}`` for an empty file)."""
    data, _ = _read(text, source)
    return {} if data is None else data


__all__ = ["load", "rewrite"]
