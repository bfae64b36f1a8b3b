"""The ``plots:`` section of ``dvc.yaml`` (top level and under stages) as plot definitions.

Forms accepted, as DVC 3 accepts them: a file (``- loss.csv``), a file with a config
(``- loss.csv: {x: step, y: loss}``), and a named plot whose ``y`` maps files to field(s)
(``- both: {x: step, y: {a.csv: loss, b.csv: [loss, acc]}}``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

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


def _join(base: str, path: str) -> str:
    return path if base in ("", ".") else f"{base}/{path}"


def _one(base: str, item: Any) -> PlotDef:
    if isinstance(item, str):
        return PlotDef(_join(base, item), ((_join(base, item), None),))
    (pid, config), = item.items()
    config = dict(config or {})
    props = {k: config[k] for k in PROPS if k in config}
    y = config.get("y")
    if isinstance(y, dict):
        sources: list[tuple[str, str | None]] = []
        for fname, fields in y.items():
            for f in ([fields] if isinstance(fields, str) else list(fields)):
                sources.append((_join(base, fname), f))
        return PlotDef(pid, tuple(sources), props, multi=len(sources) > 1)
    path = _join(base, pid)
    if isinstance(y, list):
        return PlotDef(path, tuple((path, f) for f in y), props, multi=len(y) > 1)
    return PlotDef(path, ((path, y),), props)


def parse(doc: Any, base: str = "") -> list[PlotDef]:
    """Plot definitions of a loaded ``dvc.yaml`` at directory ``base`` (top level, then stages)."""
    if not isinstance(doc, dict):
        return []
    out = [_one(base, item) for item in doc.get("plots") or []]
    for stage in (doc.get("stages") or {}).values():
        for item in (stage or {}).get("plots") or []:
            out.append(_one(base, item))
    return out


def template(name: str) -> dict[str, Any]:
    """DVC's template ``name`` (shipped as package data), as a fresh dict."""
    text = resources.files("dvcdoit.formats").joinpath(f"plot_templates/{name}.json").read_text()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def template_text(name: str) -> str:
    """The template file text, as ``plots templates`` writes it."""
    return resources.files("dvcdoit.formats").joinpath(f"plot_templates/{name}.json").read_text()


def vendor_script(name: str) -> str:
    """A shipped JavaScript build (``vega.min.js``, ``vega-lite.min.js``, ``vega-embed.min.js``)."""
    return resources.files("dvcdoit.formats").joinpath(f"plot_vendor/{name}").read_text()
