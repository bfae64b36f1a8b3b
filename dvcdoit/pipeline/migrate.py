"""``migrate``: turn classic single-stage ``.dvc`` files into ``dvc.yaml`` stages.

Each stage file becomes a stage of the root ``dvc.yaml`` (named after the file) and its
recorded hashes a ``dvc.lock`` entry, byte-compatible with what DVC 3 writes for such a stage;
the ``.dvc`` file is removed. Returns data; the caller prints.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from dvcdoit.formats.lock import LOCK_FILE, LockEntry, write_entries
from dvcdoit.formats.pipeline import StageDef, write_stage
from dvcdoit.formats.stagefile import SingleStage
from dvcdoit.pipeline.index import Index


@dataclass(frozen=True)
class Migrated:
    """One stage file moved into ``dvc.yaml``: the ``.dvc`` path and the new stage name."""

    file: str
    stage: str


def pipeline_stage(rel: str, single: SingleStage) -> StageDef:
    """The ``dvc.yaml`` stage for stage file ``rel`` (its name: the file's, made a valid name)."""
    s = single.stage
    name = re.sub(r"[^A-Za-z0-9_-]", "_", posixpath.basename(rel)[: -len(".dvc")])
    wdir = posixpath.relpath(s.wdir, ".")
    return StageDef(name=name, cmd=s.cmd, deps=s.deps, outs=s.outs, frozen=s.frozen,
                    always_changed=s.always_changed, desc=s.desc, meta=s.meta,
                    wdir=s.wdir, wdir_def=None if wdir == "." else wdir)


def migrate(index: Index, force: bool = False) -> list[Migrated]:
    """Move every stage file of ``index`` into ``dvc.yaml``/``dvc.lock``; return what moved.

    ``force`` overwrites a ``dvc.yaml`` stage of the same name. The caller reloads the index
    afterwards to validate the result.
    """
    root = index.project.root
    stages = {rel: pipeline_stage(rel, single) for rel, single in index.singles.items()}
    for stage in stages.values():
        write_stage(root, stage, force=force)
    updates: dict[str, LockEntry] = {s.name: index.singles[rel].lock for rel, s in stages.items()}
    if updates:
        write_entries(root / LOCK_FILE, updates, index.project.lock_writes)
    for rel in stages:  # NOTE: last, so a failed write never loses a stage file's hashes
        (root / rel).unlink()
    return [Migrated(rel, s.name) for rel, s in stages.items()]
