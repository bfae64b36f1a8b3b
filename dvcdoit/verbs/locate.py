"""Where a tracked path's data is: the output that holds it, its hash, and its place inside.

For :mod:`dvcdoit.api`: ``data/train.tsv`` may be an output itself (a ``.dvc`` file's or a
stage's in ``dvc.lock``) or a file inside a tracked directory. In the workspace the index
answers; at a git revision the ``.dvc`` and ``dvc.lock`` files of that commit do
(:class:`~dvcdoit.repo.revision.Revision`), parsed and validated as on disk.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass

from dvcdoit.core.errors import DvcDoitError, PathError
from dvcdoit.core.hashing import HashInfo
from dvcdoit.formats import _yaml, dvcfile
from dvcdoit.formats.lock import LOCK_FILE, parse_lock
from dvcdoit.formats.pipeline import PIPELINE_FILE
from dvcdoit.pipeline.index import load_index
from dvcdoit.repo.project import Project
from dvcdoit.repo.revision import Revision
from dvcdoit.storage.cache import ObjectCache
from dvcdoit.verbs.tracked import tracked


@dataclass(frozen=True)
class Located:
    """The output holding a path: its path and hash, the member path inside it (a file of a
    tracked directory, else ``""``), and the remote the output names (``remote:``)."""

    out: str
    hi: HashInfo
    member: str = ""
    remote: str | None = None
    size: int | None = None
    nfiles: int | None = None
    push: bool = True
    """False for an output marked ``push: false``."""
    imported: bool = False
    """True for the output of an import from another repo (never pushed, as in DVC)."""


def member_hash(cache: ObjectCache, found: Located) -> HashInfo:
    """The object of ``found``: the output's own, or (its ``.dir`` manifest in ``cache``)
    the member file's; :class:`PathError` if the directory has no such file."""
    if not found.member:
        return found.hi
    for entry in cache.read_manifest(found.hi):
        if entry.relpath == found.member:
            return HashInfo(found.hi.name, entry.md5)
    msg = f"'{found.out}/{found.member}' is not in the directory '{found.out}' ({found.hi.value})"
    raise PathError(msg)


def workspace_outs(project: Project) -> Iterator[Located]:
    """Every output of the workspace's index with the hash its ``.dvc``/``dvc.lock`` records."""
    index = load_index(project)
    for t in tracked(index, index.select([])):
        yield Located(t.path, t.hi, remote=t.remote)


def revision_outs(rev: Revision, strict: bool = False) -> Iterator[Located]:
    """Every output recorded by the ``.dvc`` files and ``dvc.lock`` files of ``rev``.

    A ``.dvc``-named file that does not parse is passed over, or with ``strict`` (gc, which
    must not miss an output) raises its :class:`FormatError`.
    """
    for path in rev.files():
        name = posixpath.basename(path)
        if name.endswith(".dvc") and not path.startswith(".dvc/"):
            try:
                parsed = dvcfile.loads(rev.read(path), f"{path}@{rev.rev}")
            except DvcDoitError:  # NOTE: a .dvc-named file that is no .dvc file
                if strict:
                    raise
                continue
            imported = any(isinstance(d.extra.get("repo"), dict) for d in parsed.deps)
            for out in parsed.outs:
                if out.hash is not None and out.cache:
                    yield Located(dvcfile.resolve_path(path, parsed, out), out.hash,
                                  remote=out.remote, size=out.size, nfiles=out.nfiles,
                                  push=out.push, imported=imported)
        elif name == LOCK_FILE:
            base = posixpath.dirname(path)
            source = f"{path}@{rev.rev}"
            skip = _uncached(rev, base)
            for entry in parse_lock(_yaml.loads(rev.read(path), source), source).values():
                for item in entry.outs:
                    joined = posixpath.normpath(posixpath.join(base, item.path))
                    if item.hash is not None and joined not in skip:
                        yield Located(joined, item.hash, size=item.size, nfiles=item.nfiles)


def _uncached(rev: Revision, base: str) -> set[str]:
    """Repo-relative outputs that the ``dvc.yaml`` in ``base`` at ``rev`` marks ``cache:
    false`` (metrics and plots, mostly): not DVC data, as ``dvc diff`` sees it."""
    try:
        doc = _yaml.loads(rev.read(posixpath.join(base, PIPELINE_FILE)), PIPELINE_FILE)
    except DvcDoitError:
        return set()
    stages = doc.get("stages") if isinstance(doc, dict) else None
    found: set[str] = set()
    for stage in (stages or {}).values() if isinstance(stages, dict) else ():
        if not isinstance(stage, dict):
            continue
        wdir = str(stage.get("wdir") or ".")
        for kind in ("outs", "metrics", "plots"):
            for item in stage.get(kind) or ():
                if isinstance(item, dict) and len(item) == 1:
                    (out, flags), = item.items()
                    if isinstance(flags, dict) and flags.get("cache") is False:
                        found.add(posixpath.normpath(posixpath.join(base, wdir, str(out))))
    return found


def locate(project: Project, path: str, rev: str | None = None) -> Located:
    """The output of ``project`` (at git revision ``rev``) that holds repo-relative ``path``."""
    if rev:
        revision = Revision(project.root, rev)
        try:  # NOTE: read here whole, so its `git cat-file` ends here too
            outs = list(revision_outs(revision))
        finally:
            revision.objects.close()
    else:
        outs = list(workspace_outs(project))
    for found in outs:
        if found.out == path:
            return found
        if found.hi.isdir and path.startswith(found.out + "/"):
            return Located(found.out, found.hi, path[len(found.out) + 1:], found.remote)
    where = f" at revision '{rev}'" if rev else ""
    msg = f"'{path}' is not tracked by DVC in {project.root}{where}"
    raise PathError(msg)


__all__ = ["Located", "locate", "member_hash", "revision_outs", "workspace_outs"]
