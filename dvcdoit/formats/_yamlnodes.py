"""Checks on a composed YAML node graph before it becomes Python data: bombs, cycles, duplicates.

PyYAML builds aliases as shared references, so nine nested anchors of ten aliases each (a
"billion laughs") load instantly, and then every walk over the data (validation, the stage
md5, comparing params) takes 10⁹ steps. A recursive anchor (``&a [*a]``) makes walks never
end. DVC's ruamel refuses duplicate mapping keys, PyYAML silently keeps the last one. So the
node graph is checked first, without recursion: the data it expands to is counted (an alias
counts as its whole target every time), a cycle is refused, and so is a repeated key.
Nodes are duck-typed (``value``, ``start_mark``) so that only ``_yaml`` imports PyYAML.
"""

from __future__ import annotations

from typing import Any

MAX_VALUES = 1_000_000
"""The most values (scalars, lists, mappings, aliases expanded) one document may hold."""


class NodeGraphError(Exception):
    """A node graph DVC files must not contain; ``line`` is 1-based (0 when unknown)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _line(node: Any) -> int:
    mark = getattr(node, "start_mark", None)
    return int(mark.line) + 1 if mark is not None else 0


def _children(node: Any) -> list[Any]:
    value = node.value
    if isinstance(value, str):
        return []
    if value and isinstance(value[0], tuple):
        _check_keys(value)
        return [n for pair in value for n in pair]
    return list(value)


def _check_keys(pairs: list[tuple[Any, Any]]) -> None:
    seen: set[str] = set()
    for key, _ in pairs:
        if isinstance(key.value, str):
            if key.value in seen:
                raise NodeGraphError(_line(key), f"found duplicate key {key.value!r}")
            seen.add(key.value)


def check(root: Any) -> None:
    """Raise :class:`NodeGraphError` for a duplicate key, a recursive alias, or a bomb.

    Each distinct node is visited once (post-order, with an explicit stack); its expanded
    size is 1 plus its children's, so shared subtrees are counted as often as they appear.
    """
    sizes: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            open_.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in _children(node))
            if sizes[key] > MAX_VALUES:
                msg = f"the document expands to more than {MAX_VALUES} values (aliases?)"
                raise NodeGraphError(_line(node), msg)
            continue
        if key in sizes:
            continue
        if key in open_:
            raise NodeGraphError(_line(node), "found a recursive alias")
        open_.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in sizes)
