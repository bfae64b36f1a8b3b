"""``import`` and ``get``: data of another DVC repo, tracked here (import) or copied (get).

The source is a local DVC repo (a path, as ``dvc import ../registry data.xml`` takes it) or
a git URL, cloned into a temp directory as DVC does (its data then comes from its default
remote, the clone's config read from its checked-out ``HEAD``). Its ``.dvc``/``dvc.lock`` files are read at
the revision asked for (``--rev``, else its ``HEAD``), never from its workspace, and the
objects come from its cache, else from its default remote, into ours, verified. ``import``
writes the frozen import stage as DVC 3.67.1 does, byte for byte: ``repo: {url, rev,
rev_lock}`` on the dep, the stage ``md5:``, and the output's ``.gitignore`` entry.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dvcdoit.core import tempname
from dvcdoit.core.errors import PathError, RemoteError
from dvcdoit.core.hashing import HashInfo
from dvcdoit.formats import dvcfile as fmt
from dvcdoit.repo import clone
from dvcdoit.repo.clone import is_git_url
from dvcdoit.repo.project import Project
from dvcdoit.repo.revision import Revision
from dvcdoit.storage import transfer
from dvcdoit.storage.cache import ObjectCache
from dvcdoit.storage.remotes import Remote, open_remote
from dvcdoit.storage.remotes.local import LocalRemote
from dvcdoit.storage.remotes.urls import safe
from dvcdoit.verbs.locate import Located, locate, member_hash


@dataclass(frozen=True)
class Source:
    """The source repo of an import: as typed (``url``), opened, and the commit read."""

    url: str
    project: Project
    revision: Revision


def open_source(url: str, rev: str | None, cwd: Path) -> Source:
    """The DVC repo at ``url`` (a path relative to ``cwd``, or a git URL, cloned into a temp
    directory removed with the returned value) at ``rev`` (default ``HEAD``)."""
    root = Path(url) if os.path.isabs(url) or is_git_url(url) else cwd / url
    if is_git_url(url) or clone.is_bare(root):
        return _cloned(url if is_git_url(url) else str(root), rev, url)
    if not (root / ".git").exists():
        msg = f"failed to import from '{url}': no git repository was found at {url}"
        raise PathError(msg)
    if not (root / ".dvc").is_dir():
        msg = f"failed to import from '{url}': it is a git repository but not a DVC one"
        raise PathError(msg)
    try:
        revision = Revision(root.resolve(), rev or "HEAD")
    except PathError:
        msg = f"failed to import from '{url}': unknown Git revision '{rev or 'HEAD'}'"
        raise PathError(msg) from None
    src = Source(url, Project(root.resolve()), revision)
    weakref.finalize(src, _dispose, revision, None)
    return src


def _cloned(url: str, rev: str | None, shown: str | None = None) -> Source:
    """A clone of ``url`` (its data from its default remote: a clone has no cache); ``shown``
    is the URL as typed, for the messages and the ``.dvc`` file."""
    typed = shown or url
    try:
        root = clone.clone(url)
    except PathError as exc:
        msg = f"failed to import from '{safe(typed)}': {exc}"
        raise PathError(msg) from None
    try:
        if not (root / ".dvc").is_dir():
            msg = f"failed to import from '{safe(typed)}': it is a git repository but not a DVC one"
            raise PathError(msg)
        try:
            revision = clone.revision(root, rev or "HEAD", cloned=True)
        except PathError:
            msg = f"failed to import from '{safe(typed)}': unknown Git revision '{rev or 'HEAD'}'"
            raise PathError(msg) from None
    except PathError:
        clone.remove(root)
        raise
    src = Source(typed, Project(root), revision)
    weakref.finalize(src, _dispose, revision, root)  # NOTE: the clone lives as long as the source
    return src


def _dispose(revision: Revision, root: Path | None) -> None:
    """End the source's ``git cat-file`` process, then remove its clone (if it is one)."""
    revision.objects.close()
    if root is not None:
        clone.remove(root)


def _stores(src: Source) -> list[Remote]:
    stores: list[Remote] = [LocalRemote(src.project.cache.root)]
    cfg = src.project.config
    if cfg.core_remote:
        stores.append(open_remote(cfg.remote()))
    return stores


def _complete(cache: ObjectCache, hi: HashInfo) -> bool:
    if not cache.has(hi):
        return False
    if not hi.isdir:
        return True
    members = [HashInfo(hi.name, e.md5) for e in cache.read_manifest(hi)]
    return len(cache.has_many(members)) == len(set(members))


def bring(cache: ObjectCache, src: Source, name: str, hi: HashInfo,
          jobs: int | None = None) -> None:
    """Get ``hi`` (a ``.dir`` with its files) into ``cache`` from the source's cache, else
    its default remote, every object verified; one line if neither has it all."""
    for store in _stores(src):
        if _complete(cache, hi):
            return
        transfer.fetch(cache, store, [(name, hi)], jobs)
    if not _complete(cache, hi):
        msg = (f"failed to import '{name}' from '{src.url}': its data is neither in that "
               "repo's cache nor on its default remote")
        raise RemoteError(msg)


def find(src: Source, path: str) -> Located:
    """The output of the source (at its revision) holding ``path``; DVC's words if none."""
    try:
        return locate(src.project, posixpath.normpath(path), src.revision.sha)
    except PathError:
        msg = (f"failed to import '{path}' from '{src.url}': '{path}' is not tracked by DVC "
               f"at revision '{src.revision.rev}' (only DVC-tracked data can be imported)")
        raise PathError(msg) from None


@dataclass(frozen=True)
class ImportRequest:
    """What ``import`` was asked: source url and path, destination, and its flags."""

    url: str
    path: str
    out: Path
    rev: str | None = None
    force: bool = False
    no_exec: bool = False
    no_download: bool = False


def _dep(req: ImportRequest, sha: str | None) -> fmt.Out:
    repo: dict[str, Any] = {"url": req.url}
    if req.rev:
        repo["rev"] = req.rev
    if sha:
        repo["rev_lock"] = sha
    return fmt.Out(path=req.path, hash=None, extra={"repo": repo})


def import_repo(project: Project, req: ImportRequest, cwd: Path,
                jobs: int | None = None) -> Path:
    """``import URL PATH [-o OUT] [--rev REV] [--no-exec] [--no-download] [-f]``; returns
    the ``.dvc`` file written."""
    dest = req.out
    rel = project.rel(dest)
    dvc_path = dest.with_name(dest.name + ".dvc")
    if (os.path.lexists(dest) or dvc_path.exists()) and not req.force:
        msg = (f"failed to import '{req.path}' from '{req.url}'. - The file '{rel}' already "
               "exists locally. To override it, re-run with '--force'.")
        raise PathError(msg)
    out = fmt.Out(path=dest.name, hash=None)
    sha = None
    if not req.no_exec:
        src = open_source(req.url, req.rev, cwd)
        sha = src.revision.sha
        found = find(src, req.path)
        if not req.no_download:
            hi = found.hi if not found.member else member_object(project.cache, src, found, jobs)
            bring(project.cache, src, rel, hi, jobs)
            project.workspace.checkout(dest, hi, force=True)
            hashed = project.workspace.hash(dest)
            out = fmt.Out(path=dest.name, hash=hi, size=hashed.size, nfiles=hashed.nfiles)
    stage = fmt.DvcFile(outs=(out,), deps=(_dep(req, sha),), frozen=True)
    if sha is not None:
        stage = fmt.DvcFile(outs=stage.outs, deps=stage.deps, frozen=True,
                            md5=stage.computed_md5())
    fmt.dump(dvc_path, stage)
    project.workspace.gitignores.add([rel])
    return dvc_path


def member_object(cache: ObjectCache, src: Source, found: Located,
                  jobs: int | None = None) -> HashInfo:
    """The object of a file inside a tracked directory of the source (its ``.dir`` first)."""
    bring(cache, src, found.out, found.hi, jobs)
    return member_hash(cache, found)


def get(req: ImportRequest, cwd: Path, jobs: int | None = None) -> None:
    """``get URL PATH [-o OUT] [--rev REV] [-f]``: copy the data out, tracking nothing.

    The objects pass through a temp cache beside the destination (verified there), so
    nothing of the source lands in a cache of ours and an interrupted get leaves no file
    under the destination's name.
    """
    dest = req.out
    if os.path.lexists(dest) and not req.force:
        msg = (f"failed to get '{req.path}' from '{req.url}': '{dest}' already exists; "
               "use --force to overwrite it")
        raise PathError(msg)
    src = open_source(req.url, req.rev, cwd)
    found = find(src, req.path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / tempname.name()  # NOTE: a name the stale sweep knows
    tmp.mkdir()
    try:
        staged = _stage(src, found, tmp, req.path, jobs)
        if os.path.lexists(dest):
            (shutil.rmtree if dest.is_dir() and not dest.is_symlink() else os.unlink)(dest)
        os.replace(staged, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _stage(src: Source, found: Located, tmp: Path, name: str, jobs: int | None) -> Path:
    """The data of ``found`` copied out below ``tmp`` through a cache of its own there."""
    cache = ObjectCache(tmp / "cache")
    hi = found.hi
    if found.member:
        hi = member_object(cache, src, found, jobs)
    bring(cache, src, name, hi, jobs)
    staged = tmp / "out"
    if hi.isdir:
        for entry in cache.read_manifest(hi):
            target = staged / entry.relpath
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(cache.path_for(HashInfo(hi.name, entry.md5)), target)
    else:
        shutil.copyfile(cache.path_for(hi), staged)
    return staged


__all__ = ["ImportRequest", "Source", "bring", "find", "get", "import_repo", "member_object",
           "open_source"]
