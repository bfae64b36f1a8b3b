"""What changed in the repo: stage and data-source status, as DVC's ``status --json`` blocks.

Shared by ``dvcdoit status`` and ``doit status``; rendering is :mod:`dvcdoit.verbs.report`'s job.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dvcdoit.core.errors import PathError
from dvcdoit.pipeline.index import Index
from dvcdoit.pipeline.stage import StageStatus, status
from dvcdoit.repo import sources

Blocks = dict[str, list[Any]]


def stage_statuses(index: Index, targets: Sequence[str] | None = None) -> list[StageStatus]:
    """Status of every stage (or of ``targets`` and their upstream), in pipeline order."""
    names = index.stage_order()
    if targets:
        wanted = {u for t in targets for u in index.graph.upstream(t)}
        names = [n for n in names if n in wanted]
    ws = index.project.workspace
    out = []
    for n in names:
        single = index.singles.get(n)
        out.append(status(ws, index.stages[n], index.locks.get(n),
                          single.changed_checksum if single else False))
    return out


def _stage_name(index: Index, target: str) -> str | None:
    if target in index.stages:
        return target
    hits = [n for n, s in index.stages.items() if s.name == target and not s.single]
    return hits[0] if len(hits) == 1 else None


def status_blocks(index: Index, targets: Sequence[str]) -> tuple[Blocks, bool]:
    """``({name: status items}, anything tracked)`` for stages then data sources.

    Targets are stage names (their upstream is included, as in DVC) or repo-relative paths
    of ``.dvc`` files and tracked outputs. A target that names nothing is a :class:`PathError`.
    """
    stage_targets = [n for t in targets if (n := _stage_name(index, t)) is not None]
    path_targets = [t for t in targets if _stage_name(index, t) is None]
    all_sources = list(index.sources.values())
    unknown = [t for t in path_targets
               if not any(sources.matches(s, t) for s in all_sources)]
    if unknown:
        msg = f"'{unknown[0]}' is neither a stage nor tracked data; check the name or path"
        raise PathError(msg)
    blocks: Blocks = {}
    if stage_targets or not targets:
        for st in stage_statuses(index, stage_targets or None):
            if st.changed:
                blocks[st.name] = st.to_json()
    if path_targets or not targets:
        for src in sources.select(all_sources, path_targets, strict=False):
            found = sources.status(index.project.workspace, src)
            if found is None:
                continue
            items: list[Any] = [{"changed outs": dict(found.outs)}] if found.outs else []
            if found.changed_checksum:
                items.append("changed checksum")
            blocks[found.name] = items
    return blocks, bool(index.stages or index.sources)
