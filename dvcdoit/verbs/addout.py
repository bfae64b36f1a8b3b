"""``add PATH -o OUT`` and ``add PATH --to-remote``: data from elsewhere, tracked at OUT.

As DVC 3.67.1 does them (``dvc/repo/add.py``: ``resolve_output``, ``resolve_paths``,
``Stage.transfer``): the data at PATH (inside the repo or not, or a URL) is read, never moved
or linked. With ``-o`` it goes into the cache and OUT is checked out from there (linked per
``cache.type``) and git-ignored; with ``--to-remote`` it goes straight to a remote, the cache
and the workspace are left alone, and no ``.gitignore`` entry is written. Either way
``OUT.dvc`` records it, byte for byte as DVC writes it; an existing ``OUT.dvc`` keeps its
other fields (``desc``, ``meta``, …).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from dvcdoit.core.errors import DvcDoitError, PathError, RemoteError
from dvcdoit.formats import dvcfile as fmt
from dvcdoit.repo import sources
from dvcdoit.repo.project import Project
from dvcdoit.storage import intake
from dvcdoit.storage.remotes.urls import UrlMissing, UrlSource, open_url
from dvcdoit.verbs.cloud import open_named

Progress = Callable[[int], None]
EXTERNAL_DOC = "<https://dvc.org/doc/user-guide/data-management/importing-external-data>"


@dataclass(frozen=True)
class AddRequest:
    """What ``add`` was asked with ``-o``/``--to-remote``: the target as typed, OUT as
    typed (or None), and the flags."""

    target: str
    out: str | None = None
    to_remote: bool = False
    remote: str | None = None
    jobs: int | None = None
    force: bool = False


def _name(target: str) -> str:
    """DVC's default output name: the last component of the target's path."""
    return os.path.basename(os.path.normpath(urlsplit(target).path if "://" in target
                                             else target))


def destination(project: Project, req: AddRequest, cwd: Path) -> Path:
    """Where the output lives (absolute, normalised), refused as DVC refuses it.

    ``-o OUT`` names it (inside OUT when OUT is a directory) and must not exist without
    ``-f``; without ``-o``, ``--to-remote`` tracks the target's name beside the target when
    that is in the repo, else in the cwd.
    """
    if req.out is not None:
        typed = os.path.join(req.out, _name(req.target)) if (cwd / req.out).is_dir() else req.out
        if os.path.lexists(cwd / typed) and not req.force:
            kind = "directory" if (cwd / typed).is_dir() else "file"
            msg = (f"The {kind} '{typed}' already exists locally. To override it, re-run "
                   "with '--force'.")
            raise PathError(msg)
        dest = Path(os.path.normpath(cwd / typed))
    else:
        full = Path(os.path.normpath(cwd / req.target))
        inside = "://" not in req.target and _inside(project, full)
        dest = (full.parent if inside else cwd) / _name(req.target)
    if not _inside(project, dest):
        msg = f"Cached output(s) outside of DVC project: {dest}. See {EXTERNAL_DOC} for more info."
        raise PathError(msg)
    if not dest.parent.is_dir():
        msg = f"stage working dir '{dest.parent}' does not exist"
        raise PathError(msg)
    rel = dest.relative_to(project.root).parts
    if rel[0] in (".git", ".dvc"):
        msg = f"Path '{dest}' is ignored by :{rel[0]}{'/' if rel[0] == '.dvc' else ''}"
        raise PathError(msg)
    return dest


def _inside(project: Project, path: Path) -> bool:
    return path != project.root and project.root in path.parents


def _source(req: AddRequest, cwd: Path) -> UrlSource:
    """The data to take, with DVC's words for a local path that is not there."""
    src = open_url(req.target, cwd)
    if "://" not in req.target and not os.path.lexists(cwd / req.target):
        msg = f"[Errno 2] No such file or directory: '{os.path.join(cwd, req.target)}'"
        raise PathError(msg)
    return src


def add_out(project: Project, req: AddRequest, cwd: Path, owners: Mapping[str, str],
            progress: Progress | None = None) -> list[Path]:
    """Take the target in (cache and OUT, or the remote only) and write ``OUT.dvc``.

    Returns the files to ``git add``: ``OUT.dvc``, and the ``.gitignore`` when it changed.
    Nothing is recorded when an object did not make it (one :class:`RemoteError` lists them).
    """
    dest = destination(project, req, cwd)
    rel = project.rel(dest)
    sources.refuse_stage_output(rel, owners)
    remote = open_named(project, req.remote)[1] if req.to_remote else None
    src = _source(req, cwd)
    try:
        info = src.info()
    except UrlMissing:
        msg = f"[Errno 2] No such file or directory: '{req.target}'"
        raise PathError(msg) from None
    ws = project.workspace
    if remote is not None:
        took = intake.to_remote(remote, src, info, project.tmp_dir, req.jobs, progress)
    else:
        took = intake.to_cache(ws.cache, src, info, req.jobs, progress)
    if not took.result.ok:
        lines = "; ".join(f"{name}: {why}" for name, _, why in took.result.failed)
        where = "the remote" if req.to_remote else "the cache"
        msg = f"failed to transfer '{req.target}' to {where}: {lines}"
        raise RemoteError(msg)
    dvc_path = dest.with_name(dest.name + ".dvc")
    _record(dvc_path, dest.name, took)
    if req.to_remote:
        return [dvc_path]
    ws.checkout(dest, took.hi, force=req.force)
    changed = ws.gitignores.add([rel])
    return [dvc_path, *(project.root / gi for gi in changed)]


def _record(dvc_path: Path, name: str, took: intake.Intake) -> None:
    """Write ``OUT.dvc``: a new one, or the old one with its output's data replaced."""
    old: fmt.DvcFile | None = None
    if dvc_path.exists():
        try:
            old = fmt.load(dvc_path, dvc_path.name)
        except DvcDoitError:
            old = None
    base = old.outs[0] if old is not None and len(old.outs) == 1 and not old.deps else None
    out = replace(base or fmt.Out(path=name), path=name, hash=took.hi, size=took.size,
                  nfiles=took.nfiles, isexec=False)
    new = replace(old, outs=(out,), md5=None) if base is not None and old is not None \
        else fmt.DvcFile(outs=(out,))
    fmt.dump(dvc_path, new)


__all__ = ["AddRequest", "add_out", "destination"]
