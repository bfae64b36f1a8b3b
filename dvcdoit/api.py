"""The Python API, as ``dvc.api`` has it: read tracked data from scripts and notebooks.

``import dvcdoit.api as api`` in place of ``import dvc.api`` keeps the calls::

    with api.open("data/train.tsv") as f:          # the workspace's version
        ...
    text = api.read("model/params.json", rev="v1.0")  # as committed at tag v1.0
    url = api.get_url("data/train.tsv", remote="storage")

Data comes from the repo's cache when it is there, else from the remote (``remote`` or the
output's own ``remote:`` or the default), downloaded into the cache and verified against
its hash first. ``rev`` reads the ``.dvc`` and ``dvc.lock`` files at that git revision.
``repo`` is a local DVC repo (default: the one holding the cwd); git URLs are not supported
yet and are refused in one line. Paths are relative to the repo root. Errors are
:class:`~dvcdoit.core.errors.DvcDoitError` s with one-line messages.
"""

from __future__ import annotations

import builtins
import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from dvcdoit.core.errors import DvcDoitError, PathError
from dvcdoit.core.hashing import HashInfo, object_relpath
from dvcdoit.repo.project import Project, find_root
from dvcdoit.verbs.cloud import open_named
from dvcdoit.verbs.locate import Located, locate, member_hash
from dvcdoit.verbs.snapshot import ensure


def _project(repo: str | os.PathLike[str] | None) -> Project:
    if repo is None:
        return Project(find_root())
    text = os.fspath(repo)
    if "://" in text or text.startswith("git@") or not Path(text).is_dir():
        msg = (f"repo '{text}': dvcdoit.api reads local DVC repositories only (a path to "
               "one); clone it first")
        raise PathError(msg)
    return Project(find_root(Path(text)))


def _member_hash(project: Project, loc: Located, remote: str | None) -> HashInfo:
    """The object of ``loc``: the output's own, or a member's from its ``.dir`` manifest."""
    if loc.member:
        ensure(project, loc.hi, loc.out, remote or loc.remote)
    return member_hash(project.cache, loc)


def _located(path: str, repo: str | os.PathLike[str] | None,
             rev: str | None) -> tuple[Project, Located]:
    project = _project(repo)
    rel = Path(path).as_posix().strip("/")
    return project, locate(project, rel, rev)


@contextlib.contextmanager
def open(path: str, repo: str | os.PathLike[str] | None = None, rev: str | None = None,
         remote: str | None = None, mode: str = "r",
         encoding: str | None = None) -> Iterator[IO[Any]]:
    """Open the tracked file ``path`` (as of ``rev``) for reading, as ``dvc.api.open``."""
    if mode not in ("r", "rb", "rt"):
        msg = f"dvcdoit.api.open: mode {mode!r}: only reading ('r', 'rb') is supported"
        raise ValueError(msg)
    project, loc = _located(path, repo, rev)
    hi = _member_hash(project, loc, remote)
    if hi.isdir:
        msg = f"'{path}' is a directory; open a file inside it"
        raise PathError(msg)
    ensure(project, hi, path, remote or loc.remote)
    with builtins.open(project.cache.path_for(hi), mode,
                       encoding=None if "b" in mode else encoding) as f:
        yield f


def read(path: str, repo: str | os.PathLike[str] | None = None, rev: str | None = None,
         remote: str | None = None, mode: str = "r", encoding: str | None = None) -> Any:
    """The content of the tracked file ``path``: text, or bytes with ``mode="rb"``."""
    with open(path, repo, rev, remote, mode, encoding) as f:
        return f.read()


def get_url(path: str, repo: str | os.PathLike[str] | None = None, rev: str | None = None,
            remote: str | None = None) -> str:
    """The URL of ``path``'s object on the remote (``files/md5/ab/cdef…``), as
    ``dvc.api.get_url``; the file itself is not read or downloaded, except a ``.dir``
    manifest needed to find a file inside a tracked directory."""
    project, loc = _located(path, repo, rev)
    hi = _member_hash(project, loc, remote)
    _, rem = open_named(project, remote or loc.remote)
    base = rem.url.rstrip("/")
    return f"{base}/{object_relpath(hi)}"


__all__ = ["DvcDoitError", "get_url", "open", "read"]
