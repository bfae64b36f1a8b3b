"""``commit`` for a whole repo: record the current data of selected sources and stages.

Data sources get their ``.dvc`` file rewritten; a changed stage gets its outputs cached and
its ``dvc.lock`` entry (or stage file) rewritten, without running its command.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from dvcdoit.core.errors import PathError
from dvcdoit.pipeline import stage
from dvcdoit.pipeline.index import Index
from dvcdoit.pipeline.selection import NOT_TRACKED, Selection
from dvcdoit.repo import sources


def select(index: Index, targets: Sequence[str], cwd: Path | None = None) -> Selection:
    """``commit``'s selection: an existing but untracked path says to ``add`` it first."""
    selection = index.select(targets, cwd, strict=False)
    for text in selection.unknown:
        if ":" not in text and os.path.lexists(index.project.resolve(text, cwd)):
            raise PathError(NOT_TRACKED.format(target=text))
    return selection.check()


def first_changed(index: Index, selection: Selection) -> str | None:
    """The first selected stage (then data source) whose recorded hashes would change: what
    DVC's ``commit`` without ``-f`` refuses to commit (it asks on a terminal)."""
    ws = index.project.workspace
    chosen = set(selection.stages)
    for name in index.stage_order():
        if name in chosen and stage.status(ws, index.stages[name], index.locks.get(name)).changed:
            return name
    for name in selection.sources:
        if sources.status(ws, index.sources[name]) is not None:
            return name
    return None


def commit(index: Index, selection: Selection, force: bool = False) -> list[str]:
    """Commit the selected data sources, then the selected stages that changed, in order.

    Returns the names (``.dvc`` paths and stage names) whose recorded hashes changed.
    """
    project = index.project
    ws = project.workspace
    changed = [name for name in selection.sources
               if sources.commit(ws, index.sources[name], force)]
    chosen = set(selection.stages)
    for name in index.stage_order():
        if name not in chosen:
            continue
        sdef = index.stages[name]
        lock = index.locks.get(name)
        if stage.status(ws, sdef, lock).changed:
            stage.record(project.root, sdef, stage.commit(ws, sdef, lock), project.lock_writes)
            changed.append(name)
    return changed
