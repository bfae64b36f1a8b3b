"""``freeze``/``unfreeze``: set or drop ``frozen: true`` on stages and ``.dvc`` files, as DVC 3.

A ``dvc.yaml`` stage gets ``frozen: true`` as its last key (DVC's ``apply_diff`` appends new
keys) and DVC's line ``Modifying stage 'x' in 'dvc.yaml'``; a ``.dvc`` file is rewritten with
:func:`dvcdoit.formats.dvcfile.dump` (``frozen: true`` after ``outs``), silently. ``dvc.lock``
is not touched. Every target is resolved before anything is written.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from dvcdoit.core.errors import DvcDoitError, StageError
from dvcdoit.formats import dvcfile, stageedit
from dvcdoit.pipeline.index import Index
from dvcdoit.verbs.remove import check_editable
from dvcdoit.verbs.stagetarget import StageTarget, resolve


def _one(index: Index, text: str, action: str, cwd: Path | None) -> StageTarget:
    """The one stage ``text`` names, or DVC's ``failed to freeze 'x' - <why>``."""
    try:
        target = resolve(index, text, cwd)
        if not target.is_dvcfile and len(target.names) != 1:
            msg = f"'{target.file}' contains {len(target.names)} stages: name one as 'dvc.yaml:NAME'"
            raise StageError(msg)
        check_editable(index, target, "dump")
    except DvcDoitError as exc:
        msg = f"failed to {action} '{text}' - {exc}"
        raise StageError(msg) from None
    return target


def set_frozen(index: Index, targets: Sequence[str], frozen: bool,
               cwd: Path | None = None) -> list[str]:
    """Freeze (or unfreeze) every target; return DVC's lines (one per ``dvc.yaml`` stage)."""
    action = "freeze" if frozen else "unfreeze"
    resolved = [_one(index, t, action, cwd) for t in targets]
    root = index.project.root
    lines = []
    for target in resolved:
        path = root / target.file
        if target.is_dvcfile:
            if target.file in index.sources:
                old = index.sources[target.file].file
                dvcfile.dump(path, replace(old, frozen=frozen))
            continue
        name = target.names[0]
        stageedit.set_frozen(path, target.file, name, frozen)
        lines.append(f"Modifying stage '{name}' in '{target.file}'")
    return lines


FROZEN_STATUS = ("WARNING: stage: '{name}' is frozen. Its dependencies are not going to be "
                 "shown in the status output.")
"""DVC's status line (stderr) for each frozen stage and ``.dvc`` file it looks at."""


def _walk_key(root: Path, relfile: str, listings: dict[str, list[str]]) -> list[tuple[int, int]]:
    """Where ``os.walk`` (DVC's index walk: scandir order, a directory's files before its
    subdirectories) meets ``relfile``."""
    key: list[tuple[int, int]] = []
    parts = relfile.split("/")
    here = root
    for depth, part in enumerate(parts):
        names = listings.setdefault(str(here), os.listdir(here))
        last = depth == len(parts) - 1
        key.append((0 if last else 1, names.index(part) if part in names else len(names)))
        here = here / part
    return key


def frozen_names(index: Index, stages: Sequence[str], sources: Sequence[str]) -> list[str]:
    """The frozen stages and data sources among the given ones, in DVC's order (walk order
    of their files, a ``dvc.yaml``'s stages in file order)."""
    root = index.project.root
    listings: dict[str, list[str]] = {}
    found: list[tuple[list[tuple[int, int]], int, str]] = []
    for i, name in enumerate(stages):
        stage = index.stages[name]
        if stage.frozen:
            found.append((_walk_key(root, stage.file, listings), i, name))
    for name in sources:
        file = index.sources[name].file
        # NOTE: a `dvc import` of a repo is frozen too, and DVC says nothing of it
        if file.frozen and not any("repo" in d.extra for d in file.deps):
            found.append((_walk_key(root, name, listings), 0, name))
    return [name for _key, _i, name in sorted(found)]
