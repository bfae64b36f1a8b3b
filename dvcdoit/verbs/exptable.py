"""``exp show``'s table, built from :func:`~dvcdoit.verbs.expshow.collect` as DVC 3.67.1 builds it.

DVC's ``tabulate``/``show_experiments``, measured: the columns are ``Experiment``, ``rev``,
``typ``, ``Created``, ``parent``, ``State``, ``Executor``, then every metric, every param
(named by key, or ``file:key`` when the key is in two files or is a column name already) and
every dependency path (sorted). Metric names come in the order first met (workspace, then each
baseline and its experiments). A value is ``str()`` of the value, a float with ``precision``
significant digits (``%.5g`` by default, none for ``--csv``); missing is ``-`` (``--csv``:
empty), a file that failed to load ``!``. ``--keep`` protects the columns its regexes match
from every drop; empty ``State``/``Executor`` go; ``Experiment`` becomes
``├── sha7 [name]``/``└── …`` (not for ``--csv``); ``--only-changed`` drops each column with
one value; ``--drop`` drops the columns its regexes match (``re.match``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dvcdoit.core.errors import DvcDoitError
from dvcdoit.formats.metrics import flatten

BASE_HEADERS = ("Experiment", "rev", "typ", "Created", "parent", "State", "Executor")
TREE = {"branch_commit": "├──", "branch_base": "└──", "baseline": ""}
Names = dict[str, dict[str, None]]


class SortColumnError(DvcDoitError):
    """``--sort-by`` names no column, or more than one."""


@dataclass
class Columns:
    """DVC's ``TabularData``: named columns of cells, some protected from dropping."""

    keys: list[str]
    fill: str
    cells: dict[str, list[str]] = field(default_factory=dict)
    protected: set[str] = field(default_factory=set)

    def append(self, row: Mapping[str, str]) -> None:
        """Add one row (missing cells are the fill value)."""
        for key in self.keys:
            self.cells.setdefault(key, []).append(row.get(key, self.fill))

    def drop(self, *names: str) -> None:
        """Drop the columns named, except protected ones."""
        for name in names:
            if name in self.keys and name not in self.protected:
                self.keys.remove(name)
                self.cells.pop(name, None)

    def is_empty(self, name: str) -> bool:
        """Whether every cell of ``name`` is the fill value."""
        return all(c == self.fill for c in self.cells.get(name, []))

    def rows(self) -> list[list[str]]:
        """The rows, cells in column order."""
        return [list(r) for r in zip(*(self.cells.get(k, []) for k in self.keys), strict=True)]


def format_field(value: Any, precision: int | None) -> str:
    """DVC's ``_format_field``: floats (also inside lists and dicts) to ``precision`` digits."""
    def fmt(v: Any) -> Any:
        if isinstance(v, float) and precision:
            return f"{v:.{precision}g}"
        if isinstance(v, Mapping):
            return {k: fmt(x) for k, x in v.items()}
        if isinstance(v, list):
            return [fmt(x) for x in v]
        return v

    return str(fmt(value))


def _collect_names(states: Iterable[Mapping[str, Any]], metrics: Names, params: Names,
                   deps: set[str]) -> None:
    for exp in states:
        data = exp.get("data")
        if data:
            for into, kind in ((metrics, "metrics"), (params, "params")):
                for path, item in (data.get(kind) or {}).items():
                    values = item.get("data", {})
                    if isinstance(values, dict):
                        into.setdefault(path, {}).update(dict.fromkeys(flatten(values)))
            deps.update(data.get("deps") or {})
        for child in exp.get("experiments") or ():
            _collect_names(child.get("revs") or (), metrics, params, deps)


def _headers(names: Names, count: Counter[str]) -> list[str]:
    return [n if count[n] == 1 else f"{path}:{n}" for path, keys in names.items() for n in keys]


def format_time(timestamp: str | None, fill: str, iso: bool) -> str:
    """DVC's ``Created``: ISO for ``--csv``, ``02:15 PM`` today, else ``Dec 03, 2026``."""
    from datetime import date, datetime

    if not timestamp:
        return fill
    if iso:
        return timestamp
    when = datetime.fromisoformat(timestamp)
    return when.strftime("%I:%M %p" if when.date() == date.today() else "%b %d, %Y")


@dataclass(frozen=True)
class _Ctx:
    metrics: Names
    params: Names
    headers: dict[str, list[str]]
    fill: str
    precision: int | None
    iso: bool


def _cells(exp: Mapping[str, Any], ctx: _Ctx) -> dict[str, str]:
    data = exp.get("data")
    if not data:
        return {}
    row = {"Created": format_time(data.get("timestamp"), ctx.fill, ctx.iso)}
    for kind, names in (("metrics", ctx.metrics), ("params", ctx.params)):
        for fname, entry in (data.get(kind) or {}).items():
            item = entry.get("data", {})
            item = flatten(item) if isinstance(item, dict) else {fname: item}
            missing = "!" if entry.get("error") else ctx.fill
            for name in names.get(fname, {}):
                value = item.get(name)
                key = name if name in ctx.headers[kind] else f"{fname}:{name}"
                row[key] = format_field(missing if value is None else value, ctx.precision)
    for name in ctx.headers["deps"]:
        dep = (data.get("deps") or {}).get(name)
        if dep:
            row[name] = dep.get("hash") or ctx.fill
    return row


def _short(rev: str) -> str:
    return rev[:7] if re.fullmatch(r"[0-9a-f]{40}", rev) else rev


def _exp_row(rng: Mapping[str, Any], is_base: bool, ctx: _Ctx) -> dict[str, str] | None:
    revs = rng.get("revs") or ()
    if not revs:
        return None
    exp = revs[0]
    row = {"Experiment": exp.get("name") or "", "rev": _short(exp["rev"]),
           "typ": "branch_base" if is_base else "branch_commit", "parent": ""}
    executor = rng.get("executor")
    if executor:
        row["State"] = str(executor.get("state", "")).capitalize()
        if executor.get("name"):
            row["Executor"] = str(executor["name"]).capitalize()
    row.update(_cells(exp, ctx))
    return row


def sort_column(sort_by: str, metrics: Names, params: Names) -> tuple[str, str, str]:
    """(file, key, kind) of ``--sort-by`` (``key`` or ``file:key``), as DVC matches it."""
    parts = sort_by.split(":")
    matches: set[tuple[str, str, str]] = set()
    for split in range(len(parts)):
        path, name = ":".join(parts[:split]), ":".join(parts[split:])
        if not path:
            sort_by = name
        for names, kind in ((metrics, "metrics"), (params, "params")):
            if path in names and name in names[path]:
                matches.add((path, name, kind))
    if not matches:
        for names, kind in ((metrics, "metrics"), (params, "params")):
            matches.update((p, sort_by, kind) for p in names if sort_by in names[p])
    if len(matches) == 1:
        return matches.pop()
    if matches:
        found = ", ".join(sorted(f"{p}:{n}" for p, n, _ in matches))
        msg = f"Ambiguous sort column '{sort_by}' matched '{found}'"
        raise SortColumnError(msg)
    msg = f"Unknown sort column '{sort_by}'"
    raise SortColumnError(msg)


def _sorted(exps: Sequence[Mapping[str, Any]], column: tuple[str, str, str],
            reverse: bool) -> list[Mapping[str, Any]]:
    path, name, kind = column

    def key(rng: Mapping[str, Any]) -> tuple[bool, Any]:
        revs = rng.get("revs") or ()
        data = ((revs[0].get("data") or {}) if revs else {}).get(kind, {})
        values = data.get(path, {}).get("data", {})
        value = flatten(values).get(name) if isinstance(values, dict) else None
        return value is None, value

    return sorted(exps, key=key, reverse=reverse)


def tabulate(states: Sequence[Mapping[str, Any]], precision: int | None = 5, fill: str = "-",
             iso: bool = False, sort_by: str | None = None,
             sort_desc: bool = False) -> tuple[Columns, dict[str, list[str]]]:
    """DVC's table of ``states`` and its header groups (``metrics``, ``params``, ``deps``)."""
    metrics: Names = {}
    params: Names = {}
    deps: set[str] = set()
    _collect_names(states, metrics, params, deps)
    count = Counter([n for names in (metrics, params) for keys in names.values() for n in keys])
    count.update(BASE_HEADERS)
    headers = {"metrics": _headers(metrics, count), "params": _headers(params, count),
               "deps": sorted(deps)}
    td = Columns([*BASE_HEADERS, *headers["metrics"], *headers["params"], *headers["deps"]],
                 fill)
    ctx = _Ctx(metrics, params, headers, fill, precision, iso)
    column = sort_column(sort_by, metrics, params) if sort_by else None
    for base in states:
        name = base.get("name")
        td.append({"Experiment": "", "rev": name or _short(base["rev"]), "typ": "baseline",
                   "parent": "", **_cells(base, ctx)})
        exps = base.get("experiments") or []
        ordered = _sorted(exps, column, sort_desc) if column else exps
        for i, rng in enumerate(ordered):
            row = _exp_row(rng, i == len(exps) - 1, ctx)
            if row is not None:
                td.append(row)
    return td, headers


def _exp_id(name: str, rev: str, typ: str) -> str:
    text = rev if typ == "baseline" or not name else f"{rev} [{name}]"
    tree = TREE[typ]
    return f"{tree} {text}" if tree else text


def arrange(td: Columns, keep: Sequence[str] = (), drop: Sequence[str] = (),
            only_changed: bool = False, csv: bool = False) -> None:
    """DVC's ``show_experiments`` column work on ``td`` (see the module docstring)."""
    if keep:
        keep_re = re.compile("|".join(keep))
        td.protected.update(k for k in td.keys if keep_re.match(k))
    for col in ("State", "Executor"):
        if td.is_empty(col):
            td.drop(col)
    if not csv:
        td.cells["Experiment"] = [_exp_id(*cells) for cells in zip(
            td.cells["Experiment"], td.cells["rev"], td.cells["typ"], strict=True)]
        td.drop("rev", "typ", "parent")
    if only_changed:
        td.drop(*[k for k in td.keys if len(set(td.cells[k])) == 1])
    if drop:
        drop_re = re.compile("|".join(drop))
        td.drop(*[k for k in td.keys if drop_re.match(k)])


__all__ = ["Columns", "SortColumnError", "arrange", "format_field", "format_time",
           "sort_column", "tabulate"]
