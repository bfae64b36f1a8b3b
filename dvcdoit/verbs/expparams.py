"""``exp run -S``: parse the overrides, expand a grid, and apply them to the params files.

The grammar is the part of Hydra's that DVC users write (measured with ``dvc==3.67.1``):
``[FILE:]KEY=VALUE`` (``params.yaml`` when no file is named; the ``:`` counts only before the
``=``), ``+KEY=VALUE`` adds a key, ``++KEY=VALUE`` adds or replaces, ``~KEY`` deletes. Keys are
dotted, a number indexes a list. Values are typed as YAML reads them (``0.30`` a float,
``1e3`` the float 1000.0, ``abc`` a string, ``[4,5]`` a list, ``null``). A top-level comma
makes a grid (``train.lr=0.1,0.2``): every combination is one experiment, which DVC allows
with ``--queue`` only. Only YAML params files are written (``.yaml``/``.yml``).
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dvcdoit.core import fsutil
from dvcdoit.core.errors import DvcDoitError
from dvcdoit.formats import _yaml, paramsedit
from dvcdoit.formats.params import DEFAULT_PARAMS_FILE

Overrides = dict[str, list[str]]
"""params file → its overrides, in the order given (DVC prints this dict as it queues)."""


class SetParamError(DvcDoitError):
    """An ``-S`` override DVC would refuse (DVC's words: "Invalid `--set-param` value")."""


@dataclass(frozen=True)
class _Override:
    op: str  # "", "+", "++" or "~"
    key: str
    value: str


def by_file(specs: list[str]) -> Overrides:
    """``-S`` specs grouped by params file, as DVC's ``to_path_overrides`` does."""
    found: Overrides = {}
    for spec in specs:
        head = spec.partition("=")[0]
        path, override = spec.partition(":")[::2] if ":" in head else (DEFAULT_PARAMS_FILE, spec)
        found.setdefault(path, []).append(override)
    return found


def _split(value: str) -> list[str]:
    """``value`` cut at its top-level commas (not inside brackets or quotes)."""
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(value):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(value[start:i])
            start = i + 1
    return [*parts, value[start:]]


def grid(overrides: Overrides) -> list[Overrides]:
    """Every combination of a grid's values (one item when there is no sweep), in DVC's order."""
    axes: list[list[tuple[str, str]]] = []
    for path, items in overrides.items():
        for item in items:
            key, eq, value = item.partition("=")
            values = _split(value) if eq and not key.startswith("~") else [value]
            axes.append([(path, f"{key}{eq}{v}") for v in values])
    out: list[Overrides] = []
    for combo in itertools.product(*axes):
        one: Overrides = {}
        for path, item in combo:
            one.setdefault(path, []).append(item)
        out.append(one)
    return out


def is_sweep(overrides: Overrides) -> bool:
    """True when the overrides name more than one experiment."""
    return len(grid(overrides)) > 1


def _parse(item: str) -> _Override:
    op = "++" if item.startswith("++") else item[:1] if item[:1] in "+~" else ""
    key, _, value = item[len(op):].partition("=")
    return _Override(op, key, value)


def _value(text: str) -> Any:
    if text == "":
        return ""  # NOTE: Hydra reads `key=` as the empty string
    try:
        return _yaml.loads(text, "-S")
    except DvcDoitError:
        return text


def _fail(why: str) -> SetParamError:
    return SetParamError(f"Invalid `--set-param` value: {why}")


def _step(node: Any, part: str) -> tuple[bool, Any]:
    if isinstance(node, dict):
        return part in node, node.get(part)
    if isinstance(node, list) and part.isdigit():
        return int(part) < len(node), node[int(part)] if int(part) < len(node) else None
    return False, None


def _apply_one(data: dict[str, Any], item: str) -> None:
    ov = _parse(item)
    parts = ov.key.split(".")
    node: Any = data
    for depth, part in enumerate(parts[:-1]):
        found, child = _step(node, part)
        if not found and ov.op in ("+", "++") and isinstance(node, dict):
            child = node[part] = {}
        elif not found:
            msg = (f"Could not override '{ov.key}'. To append to your config use +{item}: "
                   f"Key '{part}' is not in struct")
            raise _fail(msg if depth or ov.op != "~" else f"Could not delete from config. "
                        f"'{ov.key}' does not exist.")
        node = child
    last = parts[-1]
    found, _ = _step(node, last)
    if ov.op == "~":
        if not found:
            msg_0 = f"Could not delete from config. '{ov.key}' does not exist."
            raise _fail(msg_0)
        del node[int(last) if isinstance(node, list) else last]
        return
    if found and ov.op == "+":
        msg_0 = f"Could not append to config. An item is already at '{ov.key}'."
        raise _fail(msg_0)
    if not found and (ov.op == "" or not isinstance(node, dict)):
        msg_0 = (
            f"Could not override '{ov.key}'. To append to your config use +{item}: "
                    f"Key '{last}' is not in struct"
        )
        raise _fail(msg_0)
    new = _value(ov.value)
    old = node[int(last)] if isinstance(node, list) else node.get(last)
    if isinstance(old, dict) and isinstance(new, dict):
        old.update(new)
    elif isinstance(node, list):
        node[int(last)] = new
    else:
        node[last] = new


def overridden(text: str, rel: str, items: list[str]) -> str:
    """The params file ``rel`` (its ``text``, empty if absent) with ``items`` applied, as
    DVC writes it."""
    if Path(rel).suffix.lower() not in (".yaml", ".yml"):
        msg = f"'{rel}': dvcdoit writes -S overrides to YAML params files only"
        raise _fail(msg)
    data = paramsedit.load(text, rel)
    if not isinstance(data, dict):
        msg_0 = f"'{rel}' does not hold a mapping"
        raise _fail(msg_0)
    new = copy.deepcopy(data)
    for item in items:
        _apply_one(new, item)
    return paramsedit.rewrite(text, new, rel) if text else _yaml.dumps(new)


def apply(root: Path, overrides: Overrides) -> list[str]:
    """Apply ``overrides`` to the params files under ``root``; the files written.

    Every file is checked before any is written: a bad override leaves all of them as they
    were.
    """
    planned: list[tuple[Path, str]] = []
    for rel, items in overrides.items():
        path = root / rel
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        planned.append((path, overridden(text, rel, items)))
    for path, text in planned:
        fsutil.atomic_write_text(path, text)
    return list(overrides)


__all__ = ["Overrides", "SetParamError", "apply", "by_file", "grid", "is_sweep", "overridden"]
