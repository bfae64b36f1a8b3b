"""``import-url`` and ``get-url``: data at a URL (local path, ``s3://``, ``http(s)://``),
tracked here as a frozen import stage, or copied out.

The data is downloaded below a temp directory beside the destination (each file checked
against the md5 its source vouches for, where it does), and gets the destination's name only
when complete, so a failed download leaves nothing under that name and nothing in the cache.
Then it is committed into the cache like ``add``. The ``.dvc`` file is DVC 3.67.1's, byte for
byte: the dependency records what :mod:`dvcdoit.storage.remotes.urls` describes per scheme,
the output its md5, and the stage ``md5:`` is DVC's stage hash.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dvcdoit.core import tempname
from dvcdoit.core.errors import PathError, RemoteError
from dvcdoit.core.hashing import MD5, HashInfo
from dvcdoit.formats import dvcfile as fmt
from dvcdoit.repo.project import Project
from dvcdoit.storage.remotes.urls import UrlInfo, UrlSource, open_url, safe


@dataclass(frozen=True)
class UrlRequest:
    """What ``import-url`` was asked: the URL as typed, the destination, and its flags."""

    url: str
    out: Path
    force: bool = False
    no_exec: bool = False
    no_download: bool = False
    to_remote: bool = False
    remote: str | None = None
    jobs: int | None = None


def default_out(url: str) -> str:
    """DVC's default output name: the URL's last path component."""
    return os.path.basename(url.rstrip("/").split("://", 1)[-1].rstrip("/")) or "out"


def download(src: UrlSource, info: UrlInfo, dest: Path) -> None:
    """Put what ``info`` lists at ``dest`` (replacing what is there), verified, all or nothing."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / tempname.name()  # NOTE: a name the stale sweep knows
    tmp.mkdir()
    try:
        staged = tmp / "out"
        for item in info.files:
            target = staged / item.relpath if item.relpath else staged
            target.parent.mkdir(parents=True, exist_ok=True)
            md5 = src.download(item.relpath, target)
            if item.md5 is not None and md5 != item.md5:
                what = f"{item.relpath} of " if item.relpath else ""
                msg = (f"{what}{safe(src.shown)} arrived with md5 {md5} where its source "
                       f"records {item.md5}; it changed while read, or was damaged: try again")
                raise RemoteError(msg)
        if info.isdir and not info.files:
            staged.mkdir()
        if os.path.lexists(dest):
            (shutil.rmtree if dest.is_dir() and not dest.is_symlink() else os.unlink)(dest)
        os.replace(staged, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def dep_entry(path: str, info: UrlInfo | None) -> fmt.Out:
    """The dependency as DVC records it: the URL path plus the keys its scheme gives."""
    if info is None:
        return fmt.Out(path=path, extra={"hash": MD5})
    dep: dict[str, Any] = dict(info.dep)
    md5 = dep.pop("md5", None)
    extra = {k: v for k, v in dep.items() if k in ("etag", "checksum")}
    if md5 is None:
        extra["hash"] = MD5
    return fmt.Out(path=path, hash=HashInfo(MD5, md5) if md5 else None, size=dep.get("size"),
                   nfiles=dep.get("nfiles"), extra=extra)


def dep_path(project: Project, url: str, dest: Path, cwd: Path) -> str:
    """The URL as the dep records it: as typed, except a local path inside the repo, which
    becomes relative to the ``.dvc`` file's directory (as DVC does)."""
    if "://" in url:
        return url
    full = Path(os.path.abspath(cwd / url))
    try:
        full.relative_to(project.root)
    except ValueError:
        return url
    return Path(os.path.relpath(full, dest.parent)).as_posix()


def stage_file(dep: fmt.Out, out: fmt.Out, hashed: bool) -> fmt.DvcFile:
    """The frozen import stage, with DVC's stage ``md5:`` once the dep was resolved."""
    stage = fmt.DvcFile(outs=(out,), deps=(dep,), frozen=True)
    if not hashed:
        return stage
    return fmt.DvcFile(outs=(out,), deps=(dep,), frozen=True, md5=stage.computed_md5())


def fetch_out(project: Project, src: UrlSource, info: UrlInfo, dest: Path) -> fmt.Out:
    """Download into ``dest``, commit it to the cache; the output entry."""
    download(src, info, dest)
    hashed = project.workspace.commit(dest)
    return fmt.Out(path=dest.name, hash=hashed.hi, size=hashed.size, nfiles=hashed.nfiles)


def upload_out(project: Project, req: UrlRequest, src: UrlSource, info: UrlInfo,
               dest: Path) -> fmt.Out:
    """``--to-remote``: upload the data straight to the remote (the cache and the workspace
    are left alone); the output entry. Nothing is recorded if an object did not make it."""
    from dvcdoit.storage import intake
    from dvcdoit.verbs.cloud import open_named

    _, remote = open_named(project, req.remote)
    took = intake.to_remote(remote, src, info, project.tmp_dir, req.jobs)
    if not took.result.ok:
        why = "; ".join(f"{name}: {reason}" for name, _, reason in took.result.failed)
        msg = f"upload to remote {remote.url} failed: {why}"
        raise RemoteError(msg)
    return fmt.Out(path=dest.name, hash=took.hi, size=took.size, nfiles=took.nfiles)


def check_flags(req: UrlRequest) -> None:
    """The combinations DVC 3.67.1 refuses, in its words (checked after the destination)."""
    if req.to_remote and (req.no_exec or req.no_download):
        msg = "--no-exec/--no-download/--version-aware cannot be combined with --to-remote"
        raise PathError(msg)
    if req.remote and not req.to_remote:
        msg = "--remote can't be used without --to-remote"
        raise PathError(msg)


def import_url(project: Project, req: UrlRequest, cwd: Path) -> list[Path]:
    """``import-url URL [OUT] [--no-exec] [--no-download] [--to-remote [-r NAME]] [-f]``; the
    files to ``git add`` (the ``.dvc`` written, and the ``.gitignore`` if it changed: DVC
    git-ignores the output with ``--to-remote`` too, though it is not in the workspace)."""
    dest = req.out
    dvc_path = dest.with_name(dest.name + ".dvc")
    if os.path.lexists(dest) and not req.force:
        kind = "directory" if dest.is_dir() else "file"  # NOTE: DVC's FileExistsLocallyError
        msg = (f"The {kind} '{project.rel(dest)}' already exists locally. To override it, "
               "re-run with '--force'.")
        raise PathError(msg)
    check_flags(req)
    path = dep_path(project, req.url, dest, cwd)
    out = fmt.Out(path=dest.name)
    info = None
    if not req.no_exec:
        # NOTE: DVC resolves a relative local URL from the .dvc file's directory, not the cwd
        src = source(project, path, dest.parent, cwd)
        info = src.info()
        if req.to_remote:
            out = upload_out(project, req, src, info, dest)
        elif not req.no_download:
            out = fetch_out(project, src, info, dest)
    fmt.dump(dvc_path, stage_file(dep_entry(path, info), out, info is not None))
    changed = project.workspace.gitignores.add([project.rel(dest)])
    return [dvc_path, *(project.root / gi for gi in changed)]


def source(project: Project, url: str, base: Path, cwd: Path) -> UrlSource:
    """The source of a dep ``url`` (a local path relative to ``base``, the ``.dvc`` file's
    directory), named in messages as DVC names it: a local path inside the repo relative to
    the cwd, one outside absolute."""
    if "://" in url:
        return open_url(url, base)
    full = Path(os.path.abspath(base / url))
    inside = full == project.root or project.root in full.parents
    return open_url(url, base, os.path.relpath(full, cwd) if inside else None)


def shown(project: Project, url: str, base: Path, cwd: Path) -> str:
    """The URL as DVC's ``Importing '…'`` line shows it."""
    return safe(source(project, url, base, cwd).shown)


def get_url(url: str, out: Path, cwd: Path, force: bool = False) -> None:
    """``get-url URL [OUT]``: download, tracking nothing."""
    if os.path.lexists(out) and not force:
        msg = (f"The file '{os.path.relpath(out, cwd)}' already exists locally. To override "
               "it, re-run with '--force'.")
        raise PathError(msg)
    src = open_url(url, cwd)
    download(src, src.info(), out)


__all__ = ["UrlRequest", "check_flags", "default_out", "dep_entry", "download", "fetch_out", "get_url",
           "import_url", "shown", "source", "stage_file", "upload_out"]
