"""The repo as it is at one revision (or in the workspace): files read by path, DVC data too.

What the results verbs (``metrics``, ``params``, ``plots``, ``diff``) and ``dvcdoit.api``
read. A path names either a file git holds at that revision, or a DVC output (or a file
inside a tracked directory) whose hash that revision's ``.dvc`` files and ``dvc.lock`` record;
the latter is read from the cache, fetched from the remote (and verified, as every download
is) when the cache lacks it. The workspace snapshot reads the files on disk.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterator
from pathlib import Path

from dvcdoit.core import fsutil
from dvcdoit.core.errors import PathError, RemoteError
from dvcdoit.core.hashing import HashInfo, ManifestEntry
from dvcdoit.formats._paths import private_dir
from dvcdoit.formats.pipeline import PIPELINE_FILE
from dvcdoit.repo.project import Project
from dvcdoit.repo.revision import GitObjects, Revision
from dvcdoit.repo.revisions import WORKSPACE
from dvcdoit.storage import transfer
from dvcdoit.verbs.cloud import open_named
from dvcdoit.verbs.locate import Located, member_hash, revision_outs, workspace_outs


def ensure(project: Project, hi: HashInfo, name: str, remote: str | None) -> None:
    """Download ``hi`` into the cache (verified) unless it is there already."""
    if project.cache.has(hi):
        return
    _, rem = open_named(project, remote)
    result = transfer.fetch(project.cache, rem, [(name, hi)])
    if not result.ok or not project.cache.has(hi):
        why = result.failed[0][2] if result.failed else f"it is not on remote {rem.url}"
        msg = f"cannot read '{name}': {why}"
        raise RemoteError(msg)


def repo_file(path: str) -> str:
    """``path`` normalised (repo-relative, posix); :class:`PathError` if it leaves the repo
    or lies in ``.dvc/`` or ``.git/``: a path read from ``dvc.yaml`` or typed as a target
    never reads a file outside the project."""
    rel = posixpath.normpath(path)
    if rel.startswith(("/", "../")) or rel == ".." or private_dir(rel):
        msg = (f"'{path}' is outside the repo or inside .dvc/ or .git/; "
               "name a file of the repo, relative to its root")
        raise PathError(msg)
    return rel


class Snapshot:
    """The files of ``project`` at git revision ``rev`` (None: the workspace).

    ``label`` is how the verbs name the revision (``workspace``, a branch, a sha);
    ``remote`` the remote that missing objects come from (default: ``core.remote``).
    """

    def __init__(self, project: Project, rev: str | None = None, label: str | None = None,
                 objects: GitObjects | None = None, remote: str | None = None,
                 sha: str | None = None) -> None:
        self.project = project
        self.remote = remote
        self.revision = Revision(project.root, rev, objects, sha) if rev else None
        self.label = label or rev or WORKSPACE
        self._outs: list[Located] | None = None

    def outs(self) -> list[Located]:
        """Every DVC output of the snapshot with the hash recorded for it (listed once)."""
        if self._outs is None:
            rev = self.revision
            self._outs = list(revision_outs(rev) if rev else workspace_outs(self.project))
        return self._outs

    def locate(self, path: str) -> Located | None:
        """The output that holds repo-relative ``path`` (itself or inside it), or None."""
        for found in self.outs():
            if found.out == path:
                return found
            if found.hi.isdir and path.startswith(found.out + "/"):
                return Located(found.out, found.hi, path[len(found.out) + 1:], found.remote)
        return None

    def _where(self) -> str:
        return "in the workspace" if self.revision is None else f"at revision '{self.label}'"

    def _data(self, path: str, found: Located) -> bytes:
        remote = self.remote or found.remote
        if found.member:
            ensure(self.project, found.hi, found.out, remote)
        hi = member_hash(self.project.cache, found)
        if hi.isdir:
            msg = f"'{path}' is a directory {self._where()}; name a file inside it"
            raise PathError(msg)
        ensure(self.project, hi, path, remote)
        return self.project.cache.path_for(hi).read_bytes()

    def read(self, path: str) -> bytes:
        """The bytes of repo-relative ``path``; :class:`PathError` naming it if it has none."""
        path = repo_file(path)
        rev = self.revision
        if rev is None:
            try:
                return (self.project.root / path).read_bytes()
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
                pass
        elif (data := rev.objects.blob(f"{rev.sha}:{path}")) is not None:
            return data
        found = self.locate(path) if rev is not None else None
        if found is None:
            msg = f"'{path}' does not exist {self._where()}"
            raise PathError(msg)
        return self._data(path, found)

    def exists(self, path: str) -> bool:
        """Whether ``path`` is a file of the snapshot (git's, the workspace's or DVC's)."""
        path = repo_file(path)
        rev = self.revision
        if rev is None:
            return (self.project.root / path).is_file()
        if rev.has(path):
            return True
        found = self.locate(path)
        if found is None or not found.member:
            return found is not None
        ensure(self.project, found.hi, found.out, self.remote or found.remote)
        try:
            return not member_hash(self.project.cache, found).isdir
        except PathError:
            return False

    def listdir(self, path: str) -> list[str]:
        """Every file under directory ``path`` (repo-relative, sorted), git's and DVC's."""
        prefix = repo_file(path).rstrip("/") + "/"
        rev = self.revision
        if rev is None:
            return sorted(self._walk(self.project.root / prefix))
        found = {p for p in rev.files() if p.startswith(prefix)}
        for out in self.outs():
            inside = (out.out + "/").startswith(prefix)  # NOTE: the output is under ``path``
            holds = prefix.startswith(out.out + "/")  # NOTE: ``path`` is inside the output
            if out.hi.isdir and (inside or holds):
                found.update(self._members(out, prefix))
            elif inside:
                found.add(out.out)
        return sorted(found)

    def manifest(self, out: Located) -> list[ManifestEntry]:
        """The ``.dir`` manifest of directory output ``out`` (fetched and verified if missing)."""
        ensure(self.project, out.hi, out.out, self.remote or out.remote)
        return self.project.cache.read_manifest(out.hi)

    def _members(self, out: Located, prefix: str) -> Iterator[str]:
        for entry in self.manifest(out):
            path = f"{out.out}/{entry.relpath}"
            if path.startswith(prefix):
                yield path

    def _walk(self, top: Path) -> Iterator[str]:
        root = self.project.root
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = [d for d in dirnames if d not in (".git", ".dvc")]
            for name in filenames:
                yield fsutil.relpath_posix(Path(dirpath) / name, root)

    def pipeline_files(self) -> list[str]:
        """Every ``dvc.yaml`` of the snapshot, the root one first, repo-relative."""
        rev = self.revision
        if rev is None:
            _, pipelines = self.project.scan()
            return [self.project.rel(p) for p in pipelines]
        found = [p for p in rev.files()
                 if posixpath.basename(p) == PIPELINE_FILE and not p.startswith(".dvc/")]
        return sorted(found, key=lambda p: (p != PIPELINE_FILE, p))


__all__ = ["Snapshot", "ensure", "repo_file"]
