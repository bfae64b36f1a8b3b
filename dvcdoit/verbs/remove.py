"""``remove``: stop tracking ``.dvc`` files and drop stages from ``dvc.yaml``, as DVC 3 does.

Per stage or data source (DVC's ``Stage.remove``): without ``--outs`` each output is
unprotected (kept as a writable copy) and its ``.gitignore`` line removed; with ``--outs``
every output is deleted from the workspace (``persist`` and uncached ones too) and its line
removed. Then the ``.dvc`` file is deleted, or the stage leaves ``dvc.lock`` and ``dvc.yaml``
(a file left with no stage is deleted). Unlike DVC, every target is resolved (and checked)
before anything is touched, so a bad target removes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dvcdoit.core import fsutil
from dvcdoit.core.errors import StageError
from dvcdoit.formats import stageedit
from dvcdoit.formats.lock import LOCK_FILE
from dvcdoit.pipeline.index import Index
from dvcdoit.repo import gitignore
from dvcdoit.verbs.stagetarget import StageTarget, resolve
from dvcdoit.verbs.unprotect import unprotect_path


@dataclass(frozen=True)
class Output:
    """One output to let go of: repo-relative path, and whether it is cached (git-ignored)."""

    path: str
    cache: bool


def check_editable(index: Index, target: StageTarget, action: str) -> None:
    """DVC's refusal of a templated stage: ``cannot remove a parametrized stage: 'x'``."""
    for name in target.names:
        raw = stageedit.raw_stage(index.project.root / target.file, target.file, name)
        if raw is None or "${" in repr(raw):
            shown = name if target.file == "dvc.yaml" else f"{target.file}:{name}"
            msg = f"cannot {action} a parametrized stage: '{shown}'"
            raise StageError(msg)


def outputs(index: Index, target: StageTarget) -> list[Output]:
    """The outputs of the stages or data source ``target`` names, in file order."""
    if target.file in index.sources:
        src = index.sources[target.file]
        return [Output(p, o.cache) for o, p in zip(src.file.outs, src.out_paths, strict=False)]
    found = []
    for stage in index.stages.values():
        if stage.file == target.file and (stage.single or stage.name in target.names):
            found += [Output(stage.repo_path(o.path), o.cache) for o in stage.outs]
    return found


def _let_go(root: Path, out: Output, delete: bool) -> None:
    path = root / out.path
    if delete:
        fsutil.remove(path)
    elif out.cache and os.path.exists(path):
        unprotect_path(path)
    if out.cache:
        gitignore.remove(root, out.path)


def remove(index: Index, targets: Sequence[str], outs: bool = False,
           cwd: Path | None = None) -> list[StageTarget]:
    """Remove every target (see the module docstring); return what was removed, in order."""
    resolved = [resolve(index, t, cwd, hint=True) for t in targets]
    for target in resolved:
        check_editable(index, target, "remove")
    root = index.project.root
    for target in resolved:
        for out in outputs(index, target):
            _let_go(root, out, outs)
        if target.is_dvcfile:
            with_file = root / target.file
            if with_file.exists():
                os.unlink(with_file)
            continue
        lock = posixpath_lock(target.file)
        stageedit.drop_stages(root / lock, lock, target.names)
        stageedit.drop_stages(root / target.file, target.file, target.names)
    return resolved


def posixpath_lock(pipeline_file: str) -> str:
    """``sub/dvc.yaml`` → ``sub/dvc.lock``."""
    head, _, _ = pipeline_file.rpartition("/")
    return f"{head}/{LOCK_FILE}" if head else LOCK_FILE
