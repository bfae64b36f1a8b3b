"""``move``: rename a data source's output and its ``.dvc`` file, as DVC 3's ``dvc move``.

Only outputs of ``.dvc`` data sources move (DVC refuses stage outputs, with its words). A
``DST`` that is an existing directory means ``DST/<name of SRC>``. When the ``.dvc`` file is
named after the data (``a.txt.dvc`` for ``a.txt``) it moves with it (``DST.dvc`` next to
``DST``); otherwise it stays and its ``path`` is rewritten relative to it. The old
``.gitignore`` line is removed (the file deleted if left empty) and the new one added. Every
check is made before anything moves.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, replace
from pathlib import Path

from dvcdoit.core.errors import DvcDoitError, PathError
from dvcdoit.formats import dvcfile
from dvcdoit.pipeline.index import Index
from dvcdoit.repo import gitignore
from dvcdoit.repo.sources import Source

NOT_SOURCE = ("move is not permitted for stages that are not data sources. You need to either "
              "move '{name}' to a new location and edit it by hand, or remove '{name}' and "
              "create a new one at the desired location.")
OVERLAP = ("output '{path}' is already specified in stage: '{owner}'.\n"
           "Use `dvcdoit remove {owner}` to stop tracking the overlapping output.")


class MoveError(DvcDoitError):
    """A move DVC refuses: ``failed to move 'SRC' -> 'DST' - <why>``."""


@dataclass(frozen=True)
class Plan:
    """One checked move: repo-relative paths of the data and of the old and new ``.dvc``."""

    source: Source
    index: int
    src: str
    dst: str
    old_file: str
    new_file: str
    out_path: str


def _owner(index: Index, src: str, text: str) -> tuple[Source, int]:
    if src.endswith(".dvc") and src in index.sources:
        msg = f"DVC file '{text}' cannot be an output."
        raise PathError(msg)
    for source in index.sources.values():
        if src in source.out_paths:
            return source, source.out_paths.index(src)
    for stage in index.stages.values():
        if any(stage.repo_path(o.path) == src for o in stage.outs):
            raise PathError(NOT_SOURCE.format(name=stage.addressing))
    msg = f"Unable to find DVC file with output '{text}'"
    raise PathError(msg)


def plan(index: Index, src_text: str, dst_text: str, cwd: Path) -> Plan:
    """Check the move of ``src_text`` to ``dst_text`` (as typed, from ``cwd``)."""
    project = index.project
    src = project.rel(project.resolve(src_text, cwd))
    source, i = _owner(index, src, src_text)
    dst_abs = Path(os.path.normpath(cwd / dst_text))
    if dst_abs.is_dir():
        dst_abs = dst_abs / posixpath.basename(src)
    dst = project.rel(project.resolve(dst_abs))
    owner = index.graph.owner.get(dst)
    if owner is not None and dst != src:
        raise PathError(OVERLAP.format(path=dst_text, owner=owner))
    old_file = source.relpath
    if posixpath.basename(old_file)[: -len(".dvc")] == posixpath.basename(src):
        new_file = dst + ".dvc"
        if new_file != old_file and os.path.lexists(project.root / new_file):
            msg = f"'{os.path.relpath(project.root / new_file, cwd)}' already exists"
            raise PathError(msg)
    else:
        new_file = old_file
    out_path = posixpath.relpath(dst, posixpath.dirname(new_file) or ".")
    return Plan(source, i, src, dst, old_file, new_file, out_path)


def move(index: Index, src_text: str, dst_text: str, cwd: Path) -> list[str]:
    """Move the data source output; return the files to ``git add`` (DVC's hint)."""
    try:
        p = plan(index, src_text, dst_text, cwd)
    except DvcDoitError as exc:
        msg = f"failed to move '{src_text}' -> '{dst_text}' - {exc}"
        raise MoveError(msg) from None
    root = index.project.root
    if os.path.lexists(root / p.src):
        (root / p.dst).parent.mkdir(parents=True, exist_ok=True)
        os.rename(root / p.src, root / p.dst)
    touched = [p.new_file]
    gone = gitignore.remove(root, p.src)
    if gone is not None and (root / gone).exists():
        touched.append(gone)
    old = p.source.file
    outs = list(old.outs)
    outs[p.index] = replace(outs[p.index], path=p.out_path)
    dvcfile.dump(root / p.new_file, replace(old, outs=tuple(outs)))
    if p.new_file != p.old_file:
        os.unlink(root / p.old_file)
    if old.outs[p.index].cache:
        touched += gitignore.add(root, [p.dst])
    if p.new_file != p.old_file:
        touched.append(p.old_file)
    return list(dict.fromkeys(touched))
