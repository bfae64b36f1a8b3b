"""The cached outputs a selection uses: path, recorded hash and transfer flags (spec §12.2).

Data sources give their ``.dvc`` file's hashes, stages their ``dvc.lock`` entry's; a stage
that has not run yet (no entry) uses nothing. Shared by checkout and the remote verbs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from dvcdoit.core.hashing import HashInfo
from dvcdoit.formats.lock import LockEntry
from dvcdoit.formats.pipeline import StageDef
from dvcdoit.pipeline.index import Index
from dvcdoit.pipeline.selection import Selection


@dataclass(frozen=True)
class Tracked:
    """One cached output: its repo-relative path, hash, exec bit and transfer flags."""

    path: str
    hi: HashInfo
    isexec: bool = False
    push: bool = True
    remote: str | None = None
    source_repo: str | None = None
    """For an output of ``dvc import``: the source repo's url (as the ``.dvc`` file has it,
    relative urls from the ``.dvc`` file's directory). DVC never pushes such an output; it
    fetches it from the source repo."""


def tracked(index: Index, selection: Selection) -> list[Tracked]:
    """Every cached output with a recorded hash that ``selection`` holds.

    Data sources come first, then stages, each in the index's order.
    """
    out: list[Tracked] = []
    for name in selection.sources:
        src = index.sources[name]
        repo = next((d.extra["repo"] for d in src.file.deps
                     if isinstance(d.extra.get("repo"), dict)), None)
        url = None if repo is None else str(repo.get("url", ""))
        if url is not None and "://" not in url and not url.startswith(("/", "git@")):
            url = os.path.normpath(os.path.join(os.path.dirname(name), url))
        for o, rel in zip(src.file.outs, src.out_paths, strict=False):
            if o.cache and o.hash is not None and rel in selection.outputs:
                out.append(Tracked(rel, o.hash, o.isexec, o.push, o.remote, url))
    for name in selection.stages:
        lock = index.locks.get(name)
        if lock is not None:
            out += stage_outs(index.stages[name], lock, selection)
    return out


def stage_outs(stage: StageDef, entry: LockEntry, selection: Selection) -> list[Tracked]:
    """The cached outputs of ``stage`` that ``entry`` records a hash for and ``selection`` holds."""
    out: list[Tracked] = []
    for so in stage.outs:
        path = stage.repo_path(so.path)
        item = entry.out(so.path)
        if so.cache and item is not None and item.hash is not None and path in selection.outputs:
            out.append(Tracked(path, item.hash, item.isexec, so.push, so.remote))
    return out
