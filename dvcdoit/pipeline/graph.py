"""The stage DAG (spec §8.1), pure: output ownership, edges, cycle check, order, upstream.

Nodes are stages (``dvc.yaml`` stages and single-stage ``.dvc`` files) and data-source
``.dvc`` files, each given as a name plus repo-relative normalised dep/out paths. Stage A
depends on B when a dep of A equals, lies inside, or contains an out of B. Order is a DFS
post-order over nodes in definition order, so independent stages keep their definition order.
"""

from __future__ import annotations

import bisect
import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dvcdoit.core.errors import GraphError
from dvcdoit.formats.pipeline import StageDef


@dataclass(frozen=True)
class Node:
    """One graph node: a stage's addressing name and its repo-relative dep/out paths."""

    name: str
    deps: tuple[str, ...] = ()
    outs: tuple[str, ...] = ()


def node_for(stage: StageDef) -> Node:
    """The node for a stage (params files are deps too: a stage may produce params.yaml)."""
    deps = [stage.repo_path(d) for d in stage.deps]
    deps += [stage.params_path(p) for p in stage.params]
    return Node(stage.addressing, tuple(deps), tuple(stage.repo_path(o.path) for o in stage.outs))


def _parents(path: str) -> Iterable[str]:
    while True:
        path = posixpath.dirname(path)
        if not path or path == "/":
            return
        yield path


class StageGraph:
    """Build with the nodes in definition order; raises ``GraphError`` on a bad graph."""

    def __init__(self, nodes: Sequence[Node]) -> None:
        self.nodes = {n.name: n for n in nodes}
        self.owner: dict[str, str] = {}
        for node in nodes:
            for out in node.outs:
                other = self.owner.get(out)
                if other is not None:
                    msg = (f"output '{out}' is specified in both '{other}' and '{node.name}'; "
                           "an output can belong to one stage only")
                    raise GraphError(msg)
                self.owner[out] = node.name
        self._sorted_outs = sorted(self.owner)
        self._check_overlaps()
        self.edges = {n.name: self._upstream_of(n) for n in nodes}
        self.order = self._toposort()

    def outs_under(self, path: str) -> list[str]:
        """The outputs strictly inside directory ``path``, sorted (a bisect, not a scan)."""
        prefix = path + "/"
        i = bisect.bisect_left(self._sorted_outs, prefix)
        found = []
        while i < len(self._sorted_outs) and self._sorted_outs[i].startswith(prefix):
            found.append(self._sorted_outs[i])
            i += 1
        return found

    def _check_overlaps(self) -> None:
        for out, name in self.owner.items():
            for parent in _parents(out):
                other = self.owner.get(parent)
                if other is not None:
                    msg = (f"outputs '{parent}' (stage '{other}') and '{out}' (stage '{name}') "
                           "overlap; one output cannot be inside another")
                    raise GraphError(msg)

    def _upstream_of(self, node: Node) -> list[str]:
        """Direct upstream node names, in dep order, without duplicates."""
        found: dict[str, None] = {}
        for dep in node.deps:
            owners = [self.owner.get(dep)]
            owners += [self.owner.get(p) for p in _parents(dep)]
            owners += [self.owner[o] for o in self.outs_under(dep)]
            for owner in owners:
                if owner is not None and owner != node.name:
                    found.setdefault(owner)
                elif owner == node.name:
                    msg = f"pipeline has a cycle involving: {node.name} (it depends on its own output)"
                    raise GraphError(msg)
        return list(found)

    def _toposort(self) -> list[str]:
        order: list[str] = []
        state: dict[str, int] = {}  # 1 = on the DFS stack, 2 = done
        for root in self.nodes:
            if root in state:
                continue
            stack: list[tuple[str, int]] = [(root, 0)]
            state[root] = 1
            while stack:
                name, i = stack[-1]
                ups = self.edges[name]
                if i < len(ups):
                    stack[-1] = (name, i + 1)
                    nxt = ups[i]
                    if state.get(nxt) == 1:
                        cycle = [n for n, _ in stack]
                        cycle = cycle[cycle.index(nxt):]
                        msg = f"pipeline has a cycle involving: {', '.join(cycle)}"
                        raise GraphError(msg)
                    if nxt not in state:
                        state[nxt] = 1
                        stack.append((nxt, 0))
                else:
                    stack.pop()
                    state[name] = 2
                    order.append(name)
        return order

    def upstream(self, name: str) -> list[str]:
        """``name`` and everything it needs, in execution order."""
        if name not in self.nodes:
            msg = f"unknown stage '{name}'"
            raise GraphError(msg)
        needed = {name}
        todo = [name]
        while todo:
            for up in self.edges[todo.pop()]:
                if up not in needed:
                    needed.add(up)
                    todo.append(up)
        return [n for n in self.order if n in needed]

    def pipelines(self) -> list[set[str]]:
        """The connected parts of the graph (DVC's pipelines), in the order of their first
        node; one pass over an undirected view of the edges."""
        near: dict[str, set[str]] = {n: set(ups) for n, ups in self.edges.items()}
        for name, ups in self.edges.items():
            for up in ups:
                near[up].add(name)
        parts: list[set[str]] = []
        seen: set[str] = set()
        for root in self.nodes:
            if root in seen:
                continue
            part, todo = {root}, [root]
            while todo:
                for n in near[todo.pop()] - part:
                    part.add(n)
                    todo.append(n)
            seen |= part
            parts.append(part)
        return parts

    def downstream(self, name: str) -> list[str]:
        """Everything that (transitively) depends on ``name``, in execution order."""
        hit = {name}
        for n in self.order:
            if any(u in hit for u in self.edges[n]):
                hit.add(n)
        hit.discard(name)
        return [n for n in self.order if n in hit]

    def run_order(self, targets: Sequence[str], single: bool = False) -> list[str]:
        """The nodes a run of ``targets`` (every node when empty) visits, in DVC's order.

        As DVC's ``plan_repro``: the targets and everything upstream of them, each after its
        dependencies (depth-first, deps in their order), the walk starting from the nodes in
        definition order; with ``single`` (``repro -s``) only the targets, as given.
        """
        if single and targets:
            return list(dict.fromkeys(targets))
        wanted: set[str] = set()
        for name in targets:
            wanted.update(self.upstream(name))
        order: list[str] = []
        seen: set[str] = set()
        for root in [n for n in self.nodes if n in wanted] if targets else self.order:
            if root in seen:
                continue
            seen.add(root)
            stack: list[tuple[str, int]] = [(root, 0)]
            while stack:
                name, i = stack[-1]
                ups = self.edges[name]
                if i < len(ups):
                    stack[-1] = (name, i + 1)
                    if ups[i] not in seen:
                        seen.add(ups[i])
                        stack.append((ups[i], 0))
                else:
                    stack.pop()
                    order.append(name)
        return order
