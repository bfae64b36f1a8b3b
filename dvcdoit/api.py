"""The Python API, as ``dvc.api`` has it: read tracked data from scripts and notebooks.

``import dvcdoit.api as api`` in place of ``import dvc.api`` keeps the calls::

    with api.open("data/train.tsv") as f:          # the workspace's version
        ...
    text = api.read("model/params.json", rev="v1.0")  # as committed at tag v1.0
    url = api.get_url("data/train.tsv", remote="storage")

Data comes from the repo's cache when it is there, else from the remote (``remote`` or the
output's own ``remote:`` or the default), downloaded into the cache and verified against
its hash first. ``rev`` reads the ``.dvc`` and ``dvc.lock`` files at that git revision.
``repo`` is a local DVC repo (default: the one holding the cwd), read in place; or a git URL
(``https://``, ``ssh://``, ``file://``, ``git@host:path``) or a local bare repo, cloned into a
temp directory for the call (the ``import`` verb's :func:`~dvcdoit.verbs.imports.open_source`),
whose data comes from that repo's default remote into the clone's cache, verified (removed
with the clone). Paths are relative to the repo root. Errors are
:class:`~dvcdoit.core.errors.DvcDoitError` s with one-line messages.
"""

from __future__ import annotations

import builtins
import contextlib
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from dvcdoit.core.errors import ConfigError, DvcDoitError, PathError
from dvcdoit.core.hashing import HashInfo, object_relpath
from dvcdoit.repo import clone
from dvcdoit.repo.project import Project, find_root
from dvcdoit.repo.revisions import select_revs
from dvcdoit.storage.remotes.urls import safe
from dvcdoit.verbs import imports, metrics, params
from dvcdoit.verbs.cloud import open_named
from dvcdoit.verbs.locate import Located, locate, member_hash
from dvcdoit.verbs.snapshot import ensure


def _cloned(repo: str | os.PathLike[str] | None) -> str | None:
    """``repo`` as a URL to clone (a git URL or a local bare repo), else None."""
    if repo is None:
        return None
    text = os.fspath(repo)
    return text if clone.is_git_url(text) or clone.is_bare(Path(text)) else None


def _project(repo: str | os.PathLike[str] | None) -> Project:
    if repo is None:
        return Project(find_root())
    text = os.fspath(repo)
    if not Path(text).is_dir():
        msg = f"repo '{text}': no such directory, and not a git URL"
        raise PathError(msg)
    return Project(find_root(Path(text)))


@contextlib.contextmanager
def _source(url: str, path: str, rev: str | None,
            remote: str | None) -> Iterator[tuple[imports.Source, Located]]:
    """The repo at ``url`` (cloned for the call) and its output holding ``path``; ``remote``
    is not supported there (the source's default remote is used)."""
    if remote is not None:
        msg = f"repo '{url}': remote= names a remote of the local repo; omit it for a git URL"
        raise ConfigError(msg)
    rel = Path(path).as_posix().strip("/")
    try:
        src = imports.open_source(url, rev, Path.cwd())
    except PathError as exc:  # NOTE: the import verb's words, made the API's
        raise PathError(str(exc).replace("failed to import from", "dvcdoit.api cannot read "
                                         "from", 1)) from None
    try:
        found = imports.find(src, rel)
    except PathError:
        msg = (f"'{rel}' is not tracked by DVC in '{safe(url)}' at revision "
               f"'{src.revision.rev}'")
        raise PathError(msg) from None
    yield src, found
    del src  # NOTE: the clone goes with its Source


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
    url = _cloned(repo)
    if url is not None:
        with _source(url, path, rev, remote) as (src, found):
            cache = src.project.cache
            obj = imports.member_object(cache, src, found) if found.member else found.hi
            if obj.isdir:
                msg = f"'{path}' is a directory; open a file inside it"
                raise PathError(msg)
            imports.bring(cache, src, path, obj)
            with builtins.open(cache.path_for(obj), mode,
                               encoding=None if "b" in mode else encoding) as f:
                yield f
        return
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
    url = _cloned(repo)
    if url is not None:
        with _source(url, path, rev, remote) as (src, found):
            if found.member:
                ensure(src.project, found.hi, found.out, None)
            hi = member_hash(src.project.cache, found)
            _, rem = open_named(src.project, found.remote)
            return f"{rem.url.rstrip('/')}/{object_relpath(hi)}"
    project, loc = _located(path, repo, rev)
    hi = _member_hash(project, loc, remote)
    _, rem = open_named(project, remote or loc.remote)
    base = rem.url.rstrip("/")
    return f"{base}/{object_relpath(hi)}"


def _no_config(config: dict[str, Any] | None) -> None:
    if config is not None:
        msg = ("dvcdoit.api: config= is not supported; set options in the repo with "
               "'dvcdoit config'")
        raise ConfigError(msg)


def _merged(files: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """``dvc.api``'s ``_postprocess``: every file's top-level keys in one dict, a key that
    several files hold named ``file:key``."""
    counts = Counter(k for data in files.values() for k in data)
    out: dict[str, Any] = {}
    for name, data in files.items():
        out.update({(k if counts[k] == 1 else f"{name}:{k}"): v for k, v in data.items()})
    return out


def params_show(*targets: str, repo: str | os.PathLike[str] | None = None,
                stages: str | Iterable[str] | None = None, rev: str | None = None,
                deps: bool = False, config: dict[str, Any] | None = None) -> dict[str, Any]:
    """The params the repo tracks (the default ``params.yaml`` whole, the keys its stages
    name), or of the ``targets`` files, or of the named ``stages``; as ``dvc.api``."""
    _no_config(config)
    names = [stages] if isinstance(stages, str) else None if stages is None else list(stages)
    return _merged(params.show(_project(repo), rev, targets, deps, names))


def metrics_show(*targets: str, repo: str | os.PathLike[str] | None = None,
                 rev: str | None = None, config: dict[str, Any] | None = None) -> dict[str, Any]:
    """The metrics of the repo's metrics files (or of ``targets``) as one dict, as
    ``dvc.api.metrics_show``; a file that is missing or does not parse raises."""
    _no_config(config)
    project = _project(repo)
    revs = None if rev is None else select_revs(project.root, [rev], workspace=False)
    result = metrics.show(project, targets, revs)
    files: dict[str, dict[str, Any]] = {}
    for entry in result.values():
        for path, got in entry["data"].items():
            if "error" in got:
                msg = f"metrics file '{path}': {got['error']['msg']}"
                raise PathError(msg)
            data = got["data"]
            files[path] = data if isinstance(data, dict) else {"": data}
        break
    return _merged(files)


__all__ = ["DvcDoitError", "get_url", "metrics_show", "open", "params_show", "read"]
