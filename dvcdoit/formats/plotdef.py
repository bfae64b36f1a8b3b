"""The ``plots:`` section of ``dvc.yaml`` (top level and under stages) as plot definitions.

Forms accepted, as DVC 3 accepts them: a file (``- loss.csv``), a file with a config
(``- loss.csv: {x: step, y: loss}``), and a named plot whose ``y`` maps files to field(s)
(``- both: {x: step, y: {a.csv: loss, b.csv: [loss, acc]}}``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any

from dvcdoit.core.errors import FormatError, Problem

PROPS = ("x", "y", "template", "title", "x_label", "y_label")
TEMPLATES = ("simple", "linear", "confusion", "confusion_normalized", "scatter",
             "scatter_jitter", "smooth", "bar_horizontal_sorted", "bar_horizontal")  # NOTE: DVC's order


@dataclass(frozen=True)
class PlotDef:
    """One plot: its id, the (file, y field or None) sources, and its display properties."""

    id: str
    sources: tuple[tuple[str, str | None], ...]
    props: dict[str, Any] = field(default_factory=dict)
    multi: bool = False
    config: str = ""
    """The ``dvc.yaml`` of a top-level ``plots:`` entry; ``""`` for a stage's plot output or
    a target drawn as a file (DVC's config-file key, used to tell same-named plots apart)."""


def _join(base: str, path: str) -> str:
    return path if base in ("", ".") else f"{base}/{path}"


def _fields(source: str, where: str, fields: Any) -> list[str]:
    if isinstance(fields, str):
        return [fields]
    if isinstance(fields, list) and all(isinstance(f, str) for f in fields):
        return fields
    raise FormatError([Problem(source, where, "expected a field name or a list of them")])


def _one(source: str, where: str, base: str, item: Any) -> PlotDef:
    if isinstance(item, str):
        return PlotDef(_join(base, item), ((_join(base, item), None),))
    if not isinstance(item, dict) or len(item) != 1 or \
            not isinstance(config := next(iter(item.values())), dict | None):
        msg = "expected a file name, or one name mapped to its options (x, y, template, …)"
        raise FormatError([Problem(source, where, msg)])
    pid = str(next(iter(item)))
    config = dict(config or {})
    props = {k: config[k] for k in PROPS if k in config}
    y = config.get("y")
    if isinstance(y, dict):
        sources: list[tuple[str, str | None]] = []
        for fname, fields in y.items():
            for f in _fields(source, f"{where}.y.{fname}", fields):
                sources.append((_join(base, str(fname)), f))
        return PlotDef(pid, tuple(sources), props, multi=len(sources) > 1)
    path = _join(base, pid)
    if y is not None:
        ys = _fields(source, f"{where}.y", y)
        return PlotDef(path, tuple((path, f) for f in ys), props, multi=len(ys) > 1)
    return PlotDef(path, ((path, None),), props)


def _items(source: str, where: str, value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise FormatError([Problem(source, where, "expected a list of plots")])
    return value


def parse(doc: Any, base: str = "", source: str = "dvc.yaml") -> list[PlotDef]:
    """Plot definitions of a loaded ``dvc.yaml`` at directory ``base`` (top level, then stages).

    A malformed entry is a :class:`FormatError` naming ``source`` and the entry
    (``dvc.yaml:plots[2]``); the paths are checked where they are read (the snapshot).
    """
    if not isinstance(doc, dict):
        return []
    out = [replace(_one(source, f"plots[{i}]", base, item), config=source)
           for i, item in enumerate(_items(source, "plots", doc.get("plots")))]
    stages = doc.get("stages")
    for name, stage in (stages.items() if isinstance(stages, dict) else ()):
        where = f"stages.{name}.plots"
        items = _items(source, where, stage.get("plots") if isinstance(stage, dict) else None)
        out += [_one(source, f"{where}[{i}]", base, item) for i, item in enumerate(items)]
    return out


def template(name: str) -> dict[str, Any]:
    """DVC's template ``name`` (shipped as package data), as a fresh dict."""
    loaded: dict[str, Any] = json.loads(template_text(name))
    return loaded


def template_text(name: str) -> str:
    """The template file text, as ``plots templates`` writes it."""
    return resources.files("dvcdoit.formats").joinpath(f"plot_templates/{name}.json").read_text()


def vendor_script(name: str) -> str:
    """A shipped JavaScript build (``vega.min.js``, ``vega-lite.min.js``, ``vega-embed.min.js``)."""
    return resources.files("dvcdoit.formats").joinpath(f"plot_vendor/{name}").read_text()
