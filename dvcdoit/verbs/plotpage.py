"""Vega-Lite specs from DVC's templates (anchors filled as dvc-render fills them) and the page.

The page is one self-contained HTML file: vega, vega-lite and vega-embed are inlined from the
package data, so it renders with no network (DVC's page loads them from a CDN).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from dvcdoit.core import fsutil
from dvcdoit.formats.plotdef import template, vendor_script
from dvcdoit.verbs.plotdata import Collected

COLORS = ("#945dd6", "#13adc7", "#f46837", "#48bb78", "#4299e1", "#ed8936", "#f56565")
DASHES = ([1, 0], [8, 8], [8, 4], [4, 4], [4, 2], [2, 1], [1, 1])
SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"


def _anchor(name: str) -> str:
    return f"<DVC_METRIC_{name.upper()}>"


def _replace(node: Any, anchor: str, value: Any) -> Any:
    if isinstance(node, dict):
        return {k: _replace(v, anchor, value) for k, v in node.items()}
    if isinstance(node, list):
        return [_replace(v, anchor, value) for v in node]
    if node == anchor:
        return value
    if isinstance(node, str) and anchor in node and isinstance(value, str):
        return node.replace(anchor, value)
    return node


def _has(node: Any, anchor: str) -> bool:
    return anchor in json.dumps(node)


def _escape(value: str) -> str:
    for ch in (".", "[", "]"):
        value = value.replace(ch, "\\" + ch)
    return value


def _mapping(field: str, domain: list[Any], values: tuple[Any, ...], legend: bool) -> Any:
    rng = [values[i % len(values)] for i in range(len(domain))]
    out: dict[str, Any] = {"field": field, "scale": {"domain": domain, "range": rng}}
    if legend:
        out["legend"] = {"symbolFillColor": "transparent", "symbolStrokeColor": "grey"}
    return out


def _varied(c: Collected) -> list[str]:
    """Drop (or join) the ``filename``/``field`` columns as dvc-render does; the varied ones."""
    defs = c.axes["y_defs"]
    if len(defs) <= 1:
        varied: list[str] = []
    else:
        varied = [k for k in ("filename", "field") if len({d[k] for d in defs}) > 1]
    join = len(varied) == 2
    for r in c.records:
        if join:
            r["filename::field"] = f"{r['filename']}::{r['field']}"
        for key in ("filename", "field"):
            if join or key not in varied:
                r.pop(key, None)
    return varied


def _optional(c: Collected, x: str, y: str) -> dict[str, Any]:
    revs = list(dict.fromkeys(r["rev"] for r in c.records))
    fill: dict[str, Any] = {"color": _mapping("rev", revs, COLORS, legend=False),
                            "zoom_and_pan": {"name": "grid", "select": "interval",
                                             "bind": "scales"},
                            "plot_height": 300, "plot_width": 300}
    defs = c.axes["y_defs"]
    varied = _varied(c)
    group = ["rev"]
    tooltip = [{"field": "rev"}, {"field": x}, {"field": y}]
    fill["pivot_field"] = "datum.rev"
    if len(defs) > 1:
        concat = "::".join(varied)
        if len(varied) == 2:
            domain = sorted({f"{d['filename']}::{d['field']}" for d in defs})
        else:
            domain = sorted({d[varied[0]] for d in defs}) if varied else []
        group = ["rev", concat]
        fill["pivot_field"] = " + '::' + ".join(f"datum.{k}" for k in ["rev", *varied])
        fill["row"] = {"field": concat, "sort": []}
        fill["column"] = {"field": concat, "sort": []}
        tooltip.append({"field": concat})
        fill["stroke_dash"] = _mapping(concat, domain, DASHES, legend=True)
        fill["shape"] = _mapping(concat, domain, ("circle", "square", "triangle", "diamond"),
                                 legend=True)
    fill.update({"group_by": group, "group_by_x": [*group, x], "group_by_y": [*group, y],
                 "tooltip": tooltip})
    return fill


def grouped(collected: list[Collected]) -> list[list[Collected]]:
    """The collected plots by id (first-seen order), each with its revisions in order."""
    groups: dict[str, list[Collected]] = {}
    for c in collected:
        groups.setdefault(c.plot.id, []).append(c)
    return list(groups.values())


def merged(group: list[Collected]) -> Collected:
    """One plot over its revisions, as dvc-render draws it: every revision's datapoints in
    order, the axes and properties of the first revision that has any."""
    with_data = [c for c in group if c.records]
    first = with_data[0] if with_data else group[0]
    out = Collected(first.plot, first.rev, axes=dict(first.axes))
    for c in with_data:
        out.records += c.records
    out.errors = [e for c in group for e in c.errors]
    return out


def spec(c: Collected) -> dict[str, Any]:
    """The filled Vega-Lite spec of a collected plot (empty when it has no records)."""
    if not c.records:
        return {}
    props = c.plot.props
    content = template(props.get("template", "linear"))
    x, y = c.axes["x"], c.axes["y"]
    for name, value in _optional(c, x, y).items():
        content = _replace(content, _anchor(name), value)
    for name in ("row", "column", "stroke_dash", "shape", "group_by", "group_by_x",
                 "group_by_y", "tooltip", "pivot_field"):
        content = _replace(content, _anchor(name), {})
    values = {"title": props.get("title", c.plot.id), "x": _escape(x), "y": _escape(y),
              "x_label": c.axes["x_label"], "y_label": c.axes["y_label"],
              "data": c.records}
    for name, value in values.items():
        content = _replace(content, _anchor(name), value)
    return content


def div_id(name: str) -> str:
    """DVC's HTML id of a plot: its name with punctuation and spaces as ``_``."""
    return name.translate({ord(c): "_" for c in r"!@#$%^&*()[]{};,<>?\/:.|`~=_+ "})


def image_name(c: Collected) -> str:
    """DVC's file name for the image of ``c``: ``{rev}_{path with / as _}``."""
    return f"{c.rev}_{c.plot.id}".replace("/", "_")


def _image(group: list[Collected], out: Path) -> str:
    revs = ""
    for c in group:
        if c.image is None:
            continue
        rel = f"static/{image_name(c)}"
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        fsutil.atomic_write(out / rel, c.image)
        revs += ('\n                <div\n                    style="border:1px dotted black;'
                 'margin:2px;display:\n                    inline-block;\n'
                 '                    overflow:hidden;margin-left:8px;">\n'
                 f"                    <p>{html.escape(c.rev)}</p>\n"
                 f'                    <img src="{html.escape(rel)}">\n                </div>\n'
                 "                ")
    plot_id = group[0].plot.id
    return (f'\n        <div\n            id="{div_id(plot_id)}"\n'
            '            style="border:1px solid black;text-align:center;\n'
            '            white-space: nowrap;overflow-y:hidden;">\n'
            f"            <p>{html.escape(plot_id)}</p>\n{revs}\n        </div>")


def is_image(group: list[Collected]) -> bool:
    """Whether the plot is an image (its revisions hold bytes, not datapoints)."""
    return any(c.image is not None for c in group)


def _div(group: list[Collected], out: Path) -> str:
    if is_image(group):
        return _image(group, out)
    c = merged(group)
    ident = div_id(c.plot.id)
    content = spec(c)
    if not content:  # NOTE: DVC embeds an empty spec; dvcdoit says what went wrong
        lines = "".join(f"<li>{html.escape(e['rev'])}: {html.escape(e['msg'])}</li>"
                        for e in c.errors)
        return (f'\n    <div id = "{ident}" class="dvc-plot-error">\n'
                f"        <p>{html.escape(c.plot.id)}</p>\n        <ul>{lines}</ul>\n    </div>\n    ")
    data = json.dumps(content).replace("</", "<\\/")
    return (f'\n    <div id = "{ident}">\n        <script type = "text/javascript">\n'
            f"            var spec = {data};\n            vegaEmbed('#{ident}', spec, {{renderer: 'svg'}});\n"
            "        </script>\n    </div>\n    ")


def page(collected: list[Collected], out: Path) -> Path:
    """Write ``out/index.html`` (and copied images) and return its path."""
    out.mkdir(parents=True, exist_ok=True)
    scripts = "\n".join(f'<script type="text/javascript">{vendor_script(n)}</script>'
                        for n in ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js"))
    divs = "\n".join(_div(group, out) for group in grouped(collected))
    text = ("<!DOCTYPE html>\n<html>\n<head>\n    <title>DVC Plot</title>\n" + scripts
            + "\n    <style>\n        table {\n            border-spacing: 15px;\n        }\n"
            "    </style>\n</head>\n<body>\n" + divs + "\n</body>\n</html>")
    index = out / "index.html"
    fsutil.atomic_write_text(index, text)
    return index


def _json_entries(group: list[Collected], out: Path) -> list[dict[str, Any]]:
    if is_image(group):
        entries = []
        for c in group:
            if c.image is not None:
                out.mkdir(parents=True, exist_ok=True)
                target = out / image_name(c)
                fsutil.atomic_write(target, c.image)
                entries.append({"type": "image", "revisions": [c.rev], "url": str(target)})
        return entries
    c = merged(group)
    if not c.records:
        return []
    revs = list(dict.fromkeys(r["rev"] for r in c.records))
    return [{"type": "vega", "revisions": revs, "content": spec(c)}]


def as_json(collected: list[Collected], out: Path) -> dict[str, Any]:
    """DVC's ``plots --json`` structure: ``errors`` (when any) then ``data``; images are
    written to ``out`` as DVC writes them, and named there by path."""
    errors: list[dict[str, str]] = []
    data: dict[str, Any] = {}
    for group in grouped(collected):
        found = [e for c in group for e in c.errors]
        errors += [e for e in found if "source" in e] + [e for e in found if "source" not in e]
        data[group[0].plot.id] = _json_entries(group, out)
    # NOTE: DVC compacts the result: no empty "errors", no empty "data"
    return ({"errors": errors} if errors else {}) | ({"data": data} if data else {})


def pictures(collected: list[Collected], out: Path, fmt: str) -> list[Path]:
    """One ``png``/``svg`` per plot in ``out`` (its revisions drawn together), and each image
    copied (ImportError without vl-convert-python)."""
    import vl_convert

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for group in grouped(collected):
        if is_image(group):
            single = len(group) == 1
            for c in group:
                if c.image is not None:
                    name = div_id(c.plot.id) if single else f"{div_id(c.rev)}_{div_id(c.plot.id)}"
                    target = out / f"{name}{Path(c.plot.id).suffix}"
                    fsutil.atomic_write(target, c.image)
                    written.append(target)
            continue
        content = spec(merged(group))
        if not content:
            continue
        target = out / f"{div_id(group[0].plot.id)}.{fmt}"
        if fmt == "svg":
            fsutil.atomic_write_text(target, vl_convert.vegalite_to_svg(content))
        else:
            fsutil.atomic_write(target, vl_convert.vegalite_to_png(content))
        written.append(target)
    return written
