"""``cache verify`` for a repo: every object of its cache, or the ones its outputs use.

The hashing is :func:`dvcdoit.storage.verify.verify`; this adds the repo around it: which
objects the selected ``.dvc`` files and ``dvc.lock`` entries use, the repo lock while bad
objects are moved aside, and forgetting which directories were complete once objects left
the cache. Returns data with paths shown from the repo root; rendering is the caller's job.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from pathlib import Path

from dvcdoit.pipeline.session import Session
from dvcdoit.storage import verify as store
from dvcdoit.storage.verify import VerifyResult
from dvcdoit.verbs.tracked import tracked


def verify(session: Session, targets: Sequence[str] = (), used: bool = False,
           jobs: int | None = None, repair: bool = False,
           progress: Callable[[int], None] | None = None, cwd: Path | None = None) -> VerifyResult:
    """Verify the cache of ``session``'s repo: all of it, or (``used`` or ``targets``) the
    objects the selected outputs use. With ``repair`` bad objects are moved aside, under the
    repo lock (without it nothing is written, so no lock is taken)."""
    project = session.project
    with project.lock() if repair else contextlib.nullcontext():
        items = None
        if used or targets:
            index = session.index
            items = [(t.path, t.hi) for t in tracked(index, index.select(list(targets), cwd))]
        res = store.verify(project.cache, items, jobs, repair, progress)
        if repair and res.corrupted:
            project.state.forget_all_complete()
    return res.shown_from(project.root)
