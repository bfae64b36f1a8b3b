"""The graph ``dag`` shows: stages or outputs, cut to a target, foreach groups collapsed.

DVC draws its graph in the order networkx keeps it, and the Sugiyama layout of the ASCII
drawing depends on that order, so :class:`DagView` keeps DVC's order exactly: nodes in the
order DVC collects its files (a top-down walk of the repo in directory-listing order, each
file's stages in definition order), edges grouped by their downstream node in node order,
each group in dep order. With ``--outs`` the nodes are the outputs in the order of DVC's
output trie (depth first, each level's names in the order they were first seen).

Edges are ``(upstream, downstream)``: the way data flows, which is the reverse of DVC's
networkx graph (stage → dependency).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from dvcdoit.formats.pipeline import PIPELINE_FILE
from dvcdoit.pipeline.index import Index

JOIN = "@"
"""DVC's separator between a ``foreach``/``matrix`` group name and its item (``train@x``)."""


@dataclass(frozen=True)
class DagView:
    """Nodes and ``(upstream, downstream)`` edges, both in DVC's order."""

    nodes: tuple[str, ...]
    edges: tuple[tuple[str, str], ...]

    def pipelines(self) -> list[DagView]:
        """The weakly connected parts, in the order of their first node (DVC's pipelines)."""
        near: dict[str, set[str]] = {n: set() for n in self.nodes}
        for up, down in self.edges:
            near[up].add(down)
            near[down].add(up)
        parts: list[DagView] = []
        seen: set[str] = set()
        for root in self.nodes:
            if root in seen:
                continue
            part = {root}
            todo = [root]
            while todo:
                for other in near[todo.pop()] - part:
                    part.add(other)
                    todo.append(other)
            seen |= part
            parts.append(self._keep(part))
        return parts

    def _keep(self, names: set[str]) -> DagView:
        """The view on ``names`` only, order unchanged."""
        return DagView(tuple(n for n in self.nodes if n in names),
                       tuple(e for e in self.edges if e[0] in names and e[1] in names))


def build(index: Index, target: str | None = None, full: bool = False, outs: bool = False,
          collapse: bool = False, cwd: Path | None = None) -> DagView:
    """DVC's ``dag`` graph: every stage (or output with ``outs``) of the repo.

    ``target`` keeps its pipeline: with ``full`` all of it, else only the target and what
    it needs (its upstream). ``collapse`` folds each ``foreach``/``matrix`` group into one
    node named after the group. A target that names nothing is DVC's :class:`PathError`.
    """
    view = _outs_view(index) if outs else _stages_view(index)
    if target:
        chosen = index.select([target], cwd)
        names = {*chosen.stages, *chosen.sources}
        if outs:  # NOTE: a stage's outputs; an output path, the outputs it names
            names = {o for n in names for o in index.graph.nodes[n].outs} & chosen.outputs
        view = _cut(view, [n for n in view.nodes if n in names], full)
    here = (cwd or index.project.root).resolve()
    if here != index.project.root.resolve():
        view = _relabel(view, _from_cwd(index, view, outs, here))
    return _collapsed(view) if collapse else view


def _from_cwd(index: Index, view: DagView, outs: bool, cwd: Path) -> dict[str, str]:
    """DVC's names seen from a subdirectory: paths relative to ``cwd``, and a stage of a
    ``dvc.yaml`` there by its bare name (``../dvc.yaml:train``, ``train``)."""
    root = index.project.root.resolve()
    names: dict[str, str] = {}
    for node in view.nodes:
        stage = None if outs else index.stages.get(node)
        path = node if stage is None or stage.single else stage.file
        rel = Path(os.path.relpath(root / path, cwd)).as_posix()
        if stage is not None and not stage.single:
            rel = stage.name if rel == PIPELINE_FILE else f"{rel}:{stage.name}"
        names[node] = rel
    return names


def _relabel(view: DagView, names: dict[str, str]) -> DagView:
    """The same view with each node renamed through ``names``."""
    return DagView(tuple(names[n] for n in view.nodes),
                   tuple((names[a], names[b]) for a, b in view.edges))


def _stages_view(index: Index) -> DagView:
    """Stages and data sources in DVC's walk order; edges grouped by downstream stage."""
    graph = index.graph
    files = {name: _file_of(index, name) for name in graph.nodes}
    rank = _walk_rank(index.project.root, set(files.values()))
    # NOTE: sorted() is stable: a file's stages keep their definition order
    nodes = sorted(graph.nodes, key=lambda n: rank[files[n]])
    edges = [(up, name) for name in nodes for up in graph.edges[name]]
    return DagView(tuple(nodes), tuple(edges))


def _file_of(index: Index, name: str) -> str:
    """The repo-relative file that defines node ``name``."""
    stage = index.stages.get(name)
    return name if stage is None else stage.file


def _walk_rank(root: Path, files: set[str]) -> dict[str, tuple[tuple[int, int], ...]]:
    """A sort key per file: its place in a top-down ``os.walk`` of ``root``.

    A file sorts by the listing position of each directory on its way, and a directory's own
    files come before its subdirectories' (``(0, i)`` before ``(1, j)``).
    """
    listings: dict[str, dict[str, int]] = {}

    def position(folder: str, name: str) -> int:
        if folder not in listings:
            try:
                names = [e.name for e in os.scandir(root / folder)]
            except OSError:
                names = []
            listings[folder] = {n: i for i, n in enumerate(names)}
        return listings[folder].get(name, len(listings[folder]))

    ranks: dict[str, tuple[tuple[int, int], ...]] = {}
    for file in files:
        parts = file.split("/")
        key = [(1, position("/".join(parts[:i]), part)) for i, part in enumerate(parts[:-1])]
        key.append((0, position("/".join(parts[:-1]), parts[-1])))
        ranks[file] = tuple(key)
    return ranks


def _outs_view(index: Index) -> DagView:
    """Outputs in DVC's trie order; an edge from each output a stage reads to each it writes."""
    graph = index.graph
    ordered = _stages_view(index).nodes
    nodes = _trie_order(out for name in ordered for out in graph.nodes[name].outs)
    produced: dict[str, list[str]] = {out: [] for out in nodes}
    for name in ordered:
        node = graph.nodes[name]
        for dep in node.deps:
            for upstream in _outs_read(index, dep):
                for out in node.outs:
                    if upstream not in produced[out]:
                        produced[out].append(upstream)
    edges = [(up, out) for out in nodes for up in produced[out]]
    return DagView(tuple(nodes), tuple(edges))


def _outs_read(index: Index, dep: str) -> list[str]:
    """The outputs a dep path reads: an output it lies in (or is), then outputs inside it."""
    owner = index.graph.owner
    parts = dep.split("/")
    found = [p for p in ("/".join(parts[:i]) for i in range(1, len(parts) + 1)) if p in owner]
    return found + index.graph.outs_under(dep)


def _trie_order(paths: Iterable[str]) -> list[str]:
    """``paths`` depth first through their folders, each level in first-seen order.

    Outputs never lie inside one another, so the key of a path (each part's first-seen rank
    among its siblings) orders them as a walk of the trie does.
    """
    ranks: dict[tuple[str, str], int] = {}
    keys: dict[str, tuple[int, ...]] = {}
    for path in paths:
        parts = path.split("/")
        key = []
        for i, part in enumerate(parts):
            parent = "/".join(parts[:i])
            key.append(ranks.setdefault((parent, part), len(ranks)))
        keys[path] = tuple(key)
    return sorted(keys, key=keys.__getitem__)


def _cut(view: DagView, targets: Sequence[str], full: bool) -> DagView:
    """The targets' pipeline: all of it (``full``) or the targets and their upstream."""
    if not full:
        ups: dict[str, list[str]] = {n: [] for n in view.nodes}
        for up, down in view.edges:
            ups[down].append(up)
        needed = set(targets)
        todo = list(targets)
        while todo:
            for up in ups[todo.pop()]:
                if up not in needed:
                    needed.add(up)
                    todo.append(up)
        view = view._keep(needed)
    wanted = set(targets)
    return view._keep({n for part in view.pipelines() if wanted & set(part.nodes)
                       for n in part.nodes})


def _group(name: str) -> str:
    """The ``foreach``/``matrix`` group of a stage name, or the name itself."""
    if name.endswith(".dvc") or JOIN not in name:
        return name
    return name.split(JOIN)[0]


def _collapsed(view: DagView) -> DagView:
    """Each group's stages as one node, added after the others, as DVC's collapse does."""
    nodes = [n for n in view.nodes if _group(n) == n]
    nodes += list(dict.fromkeys(_group(n) for n in view.nodes if _group(n) != n))
    kept = [e for e in view.edges if _group(e[0]) == e[0] and _group(e[1]) == e[1]]
    added = [(_group(a), _group(b)) for a, b in view.edges if (a, b) not in kept]
    by_down: dict[str, list[str]] = {n: [] for n in nodes}
    for up, down in kept + added:
        if up not in by_down[down]:
            by_down[down].append(up)
    return DagView(tuple(nodes), tuple((up, n) for n in nodes for up in by_down[n]))


def to_dot(view: DagView) -> str:
    """DVC's ``dag --dot`` (networkx's pydot writer): nodes, then edges from each node."""
    lines = ["strict digraph {"]
    lines += [f"{_quoted(n)};" for n in view.nodes]
    place = {n: i for i, n in enumerate(view.nodes)}
    lines += [f"{_quoted(a)} -> {_quoted(b)};"
              for a, b in sorted(view.edges, key=lambda e: (place[e[0]], place[e[1]]))]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _quoted(name: str) -> str:
    """A dot node id: in double quotes unless it already starts or ends with one."""
    return name if name.startswith('"') or name.endswith('"') else f'"{name}"'


def to_mermaid(view: DagView, markdown: bool = False) -> str:
    """DVC's ``dag --mermaid``: per pipeline its nodes sorted by name and numbered on from
    the previous pipeline, then its edges sorted; ``markdown`` wraps it in a code block."""
    lines = ["flowchart TD"]
    ids: dict[str, str] = {}
    for part in view.pipelines():
        for name in sorted(part.nodes):
            ids[name] = f"node{len(ids) + 1}"
            lines.append(f'\t{ids[name]}["{name}"]')
        lines += [f"\t{ids[a]}-->{ids[b]}" for a, b in sorted(part.edges)]
    text = "\n".join(lines)
    return f"```mermaid\n{text}\n```" if markdown else text
