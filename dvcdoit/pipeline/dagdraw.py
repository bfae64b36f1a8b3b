"""The ASCII drawing of one pipeline, as DVC's default ``dag`` output draws it.

The layout is grandalf's Sugiyama layout (the library DVC itself uses, the ``dag`` extra),
set up as DVC sets it up: each node a box three lines high and two wider than its label
`` name ``, layers ``3`` apart, nodes at least the narrowest box apart, edges routed as
straight segments. The canvas is ours: edges are drawn first as ``*`` lines, then the boxes
(``+---+`` / ``| name |``) over them. Coordinates are floats rounded half to even, as
Python's ``round`` does, which is what makes the picture match DVC's to the byte.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

from dvcdoit.core.errors import DvcDoitError

BOX_HEIGHT = 3
"""Lines of a node's box: its top edge, its label, its bottom edge."""

EXTRA = "pip install 'dvcdoit[dag]'"
"""How to get grandalf, the layout library of the ASCII drawing."""


class _Box:
    """The size grandalf lays out for one node; grandalf sets ``xy``, the box's centre top."""

    def __init__(self, label: str) -> None:
        self.w = len(label) + 2
        self.h = BOX_HEIGHT
        self.xy: tuple[float, float] = (0.0, 0.0)


class Canvas:
    """A grid of characters, blank to start with; points outside it are dropped."""

    def __init__(self, cols: int, lines: int) -> None:
        self.cols = cols
        self.rows = [[" "] * cols for _ in range(lines)]

    def point(self, x: int, y: int, char: str) -> None:
        """Put ``char`` at column ``x`` of line ``y``."""
        if 0 <= y < len(self.rows) and 0 <= x < self.cols:
            self.rows[y][x] = char

    def line(self, start: tuple[int, int], end: tuple[int, int], char: str) -> None:
        """A straight line of ``char``: one point per column when it is wider than tall,
        else one per line, each rounded from the exact line through both ends."""
        (xa, ya), (xb, yb) = start, end
        if abs(xb - xa) >= abs(yb - ya):
            if xa > xb:
                (xa, ya), (xb, yb) = (xb, yb), (xa, ya)
            for x in range(xa, xb + 1):
                self.point(x, ya if xa == xb else ya + round((x - xa) * (yb - ya) / (xb - xa)),
                           char)
            return
        if ya > yb:
            (xa, ya), (xb, yb) = (xb, yb), (xa, ya)
        for y in range(ya, yb + 1):
            self.point(xa + round((y - ya) * (xb - xa) / (yb - ya)), y, char)

    def box(self, x: int, y: int, width: int, height: int, label: str) -> None:
        """A ``+--+`` box with its top left corner at ``(x, y)``, ``label`` on its 2nd line."""
        right, bottom = x + width - 1, y + height - 1
        for col in range(x, right):
            self.point(col, y, "-")
            self.point(col, bottom, "-")
        for row in range(y, bottom):
            self.point(x, row, "|")
            self.point(right, row, "|")
        for col, row in ((x, y), (right, y), (x, bottom), (right, bottom)):
            self.point(col, row, "+")
        for i, char in enumerate(label):
            self.point(x + 1 + i, y + 1, char)

    def text(self) -> str:
        """The canvas, one text line per row (trailing blanks kept, as DVC prints them)."""
        return "\n".join("".join(row) for row in self.rows)


class DrawingUnavailableError(DvcDoitError):
    """grandalf (the ``dag`` extra) is not installed: no drawing; the caller lists instead."""


def plain(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> str:
    """The graph as lines ``stage  <- its upstream stages`` (no grandalf needed)."""
    ups: dict[str, list[str]] = {n: [] for n in nodes}
    for up, down in edges:
        ups[down].append(up)
    return "\n".join(n + (f"  <- {', '.join(u)}" if u else "") for n, u in ups.items())


def _layout(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> Any:
    """grandalf's Sugiyama layout of one connected pipeline, laid out and routed."""
    try:
        from grandalf.graphs import Edge, Graph, Vertex
        from grandalf.layouts import SugiyamaLayout
        from grandalf.routing import EdgeViewer, route_with_lines
    except ImportError:
        msg = f"DVC's drawing of 'dag' needs grandalf: {EXTRA}; here is a plain list"
        raise DrawingUnavailableError(msg) from None
    vertices = {name: Vertex(f" {name} ") for name in nodes}
    links = [Edge(vertices[up], vertices[down]) for up, down in edges]
    graph = Graph(list(vertices.values()), links)
    for vertex in vertices.values():
        vertex.view = _Box(vertex.data)
    for link in links:
        link.view = EdgeViewer()
    part = graph.C[0]
    layout = SugiyamaLayout(part)
    layout.init_all(roots=[v for v in part.sV if not v.e_in()], optimize=True)
    layout.yspace = BOX_HEIGHT
    layout.xspace = min(v.view.w for v in vertices.values())
    layout.route_edge = route_with_lines
    layout.draw()
    return layout


def draw(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> str:
    """The ASCII picture of one connected pipeline: upstream on top, edges ``(up, down)``.

    Raises :class:`DvcDoitError` when grandalf is not installed.
    """
    layout = _layout(nodes, edges)
    boxes = [(v.view.xy[0] - v.view.w / 2.0, v.view.xy[1], v) for v in layout.g.sV]
    xs = [x for left, _, v in boxes for x in (left, left + v.view.w)]
    ys = [y for _, top, v in boxes for y in (top, top + v.view.h)]
    for link in layout.g.sE:
        xs += [x for x, _ in link.view._pts]
        ys += [y for _, y in link.view._pts]
    minx, miny = min(xs), min(ys)
    canvas = Canvas(math.ceil(math.ceil(max(xs)) - math.floor(minx)) + 1, round(max(ys) - miny))
    for link in layout.g.sE:
        points = [(round(x - minx), round(y - miny)) for x, y in link.view._pts]
        for start, end in itertools.pairwise(points):
            canvas.line(start, end, "*")
    for left, top, vertex in boxes:
        canvas.box(round(left - minx), round(top - miny), vertex.view.w, vertex.view.h,
                   vertex.data)
    return canvas.text()
