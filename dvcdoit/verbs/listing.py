"""``ls URL [PATH] [--rev REV] [-R] [--dvc-only]``: a DVC repo's files, git's and DVC's merged.

What DVC 3.67.1 lists, measured: without ``--rev`` a local repo is read from its *workspace*
(every file there, ``.dvcignore`` applied; sizes, directory sizes and exec bits from ``stat``);
with ``--rev``, or for a git URL (cloned with ``git clone`` into a temp directory), from git
at that revision (sizes of blobs and of tree objects, exec from the mode). ``.git`` and
``.dvc`` are never listed. DVC's outputs are added (``.dvc`` files and ``dvc.lock``; the
members of a tracked directory from its ``.dir`` manifest in the repo's cache): ``isout``,
their ``md5``, and, where no file is there, the size the ``.dvc`` file records (none for
the members of a directory). ``-R`` lists files only; ``--dvc-only`` keeps outputs and the
directories holding them. Entries are sorted by path.
"""

from __future__ import annotations

import os
import posixpath
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dvcdoit.core.errors import DvcDoitError, PathError
from dvcdoit.repo.clone import clone, is_git_url, remove
from dvcdoit.repo.clone import revision as git_revision
from dvcdoit.repo.project import Project
from dvcdoit.repo.revision import Revision, run_git
from dvcdoit.verbs.locate import Located, revision_outs

Meta = tuple[bool, bool, int | None]  # NOTE: (isdir, isexec, size) of one path


@dataclass(frozen=True)
class Entry:
    """One listed path, with DVC's JSON fields."""

    path: str
    isout: bool
    isdir: bool
    isexec: bool
    size: int | None
    md5: str | None

    def to_json(self) -> dict[str, Any]:
        """DVC's ``--json`` object, in its key order."""
        return {"isout": self.isout, "isdir": self.isdir, "isexec": self.isexec,
                "size": self.size, "md5": self.md5, "path": self.path}


@contextmanager
def opened(url: str, cwd: Path) -> Iterator[tuple[Path, bool]]:
    """``(root, cloned)`` of the repo at ``url``: a local path, or a temp clone of a git URL."""
    if not is_git_url(url):
        root = Path(url) if os.path.isabs(url) else cwd / url
        if not (root / ".git").exists():
            msg = f"no git repository was found at {url}"
            raise PathError(msg)
        yield Path(os.path.abspath(root)), False
        return
    root = clone(url)
    try:
        yield root, True
    finally:
        remove(root)


def _skipped(rel: str) -> bool:
    top = rel.split("/", 1)[0]
    return top in (".git", ".dvc")


def _workspace_fs(project: Project) -> dict[str, Meta]:
    found: dict[str, Meta] = {}
    root = project.root
    for top, dirs, names in os.walk(root):
        base = Path(top).relative_to(root).as_posix()
        base = "" if base == "." else base
        keep = []
        for d in sorted(dirs):
            rel = posixpath.join(base, d)
            if _skipped(rel) or project.ignore.is_ignored(rel, True):
                continue
            keep.append(d)
            found[rel] = (True, False, os.lstat(Path(top) / d).st_size)
        dirs[:] = keep
        for name in names:
            rel = posixpath.join(base, name)
            if _skipped(rel) or project.ignore.is_ignored(rel, False):
                continue
            st = os.lstat(Path(top) / name)
            found[rel] = (False, bool(st.st_mode & stat.S_IXUSR), st.st_size)
    return found


def _git_fs(root: Path, sha: str) -> dict[str, Meta]:
    proc = run_git(root, "ls-tree", "-r", "-t", "-l", "-z", sha)
    found: dict[str, Meta] = {}
    trees: dict[str, str] = {}
    for record in proc.stdout.decode(errors="surrogateescape").split("\0"):
        if not record:
            continue
        head, _, rel = record.partition("\t")
        mode, kind, obj, size = head.split()
        if _skipped(rel) or kind == "commit":
            continue
        if kind == "tree":
            trees[rel] = obj
            found[rel] = (True, False, None)
        else:
            found[rel] = (False, mode == "100755", int(size))
    if trees:
        check = run_git_input(root, "\n".join(trees.values()) + "\n")
        sizes = dict(line.split()[::2] for line in check.splitlines() if len(line.split()) == 3)
        for rel, obj in trees.items():
            found[rel] = (True, False, int(sizes[obj]) if obj in sizes else None)
    return found


def run_git_input(root: Path, text: str) -> str:
    """``git cat-file --batch-check`` of the object names in ``text``: "sha type size" lines."""
    import subprocess

    proc = subprocess.run(["git", "-C", str(root), "cat-file", "--batch-check"],
                          input=text.encode(), capture_output=True, check=False)
    return proc.stdout.decode()


def needs_members(out: str, path: str, recursive: bool) -> bool:
    """Whether listing ``path`` reads the ``.dir`` of output ``out`` (DVC loads it only
    then: a clone without the manifest lists fine until one looks inside)."""
    inside = path == out or path.startswith(out + "/")
    below = not path or out.startswith(path + "/")
    return inside or (recursive and below)


def _dvc_entries(project: Project, outs: list[Located], fs: dict[str, Meta],
                 cloned: bool, want: tuple[str, bool]) -> dict[str, Entry]:
    """Outputs, their members and the directories holding them, as DVC describes them."""
    found: dict[str, Entry] = {}
    for out in outs:
        isdir = out.hi.isdir
        found[out.out] = Entry(out.out, True, isdir, False, out.size, out.hi.value)
        parts = out.out.split("/")
        for k in range(1, len(parts)):
            parent = "/".join(parts[:k])
            found.setdefault(parent, Entry(parent, False, True, False, None, None))
        if isdir and needs_members(out.out, *want):
            for rel, md5 in _members(project, out, cloned):
                full = f"{out.out}/{rel}"
                found[full] = Entry(full, True, False, False, None, md5)
                bits = rel.split("/")
                for k in range(1, len(bits)):
                    sub = f"{out.out}/{'/'.join(bits[:k])}"
                    found.setdefault(sub, Entry(sub, True, True, False, None, None))
    for path, entry in list(found.items()):
        if path in fs:
            isdir, isexec, size = fs[path]
            found[path] = Entry(path, entry.isout, isdir, isexec, size, entry.md5)
    return found


def _members(project: Project, out: Located, cloned: bool) -> list[tuple[str, str]]:
    """The files of a tracked directory: its ``.dir`` from the repo's cache, else (a clone,
    which has none) from the repo's default remote; one line if neither has it."""
    try:
        return [(e.relpath, e.md5) for e in project.cache.read_manifest(out.hi)]
    except DvcDoitError:
        pass
    if cloned and project.config.core_remote:
        from dvcdoit.core.hashing import object_relpath, parse_manifest
        from dvcdoit.storage.remotes import open_remote

        with tempfile.TemporaryDirectory(prefix="dvcdoit-ls-") as tmp:
            dest = Path(tmp) / "manifest"
            try:
                open_remote(project.config.remote()).download(object_relpath(out.hi), dest)
                data = dest.read_bytes()
            except DvcDoitError:
                data = None
            if data is not None:
                return [(e.relpath, e.md5) for e in parse_manifest(data, out.hi.value)]
    msg = (f"failed to load directory '{out.out}': its manifest {out.hi.value} is neither "
           "in that repo's cache nor on its default remote")
    raise PathError(msg)


class _OnDisk(Revision):
    """The workspace's ``.dvc`` and ``dvc.lock`` files, read as :func:`revision_outs` reads
    a commit's (the sizes they record come along)."""

    def __init__(self, root: Path, files: list[str]) -> None:
        self.root = root
        self.rev = "workspace"
        self._listed = files

    def files(self) -> list[str]:
        """The workspace files seen by the walk."""
        return self._listed

    def read(self, path: str) -> bytes:
        """The file's bytes."""
        return (self.root / path).read_bytes()


def entries(url: str, rev: str | None, cwd: Path, dvc_only: bool = False,
            want: tuple[str, bool] = ("", True)) -> tuple[dict[str, Entry], Path | None]:
    """Every path of the repo at ``url`` (workspace, or git at ``rev``), merged with DVC's
    (only DVC's with ``dvc_only``, as DVC lists them then: sizes from the ``.dvc`` files);
    and the root when it was the workspace that was read. ``want`` is the ``(path,
    recursive)`` to be listed: the ``.dir`` manifests it needs are read."""
    with opened(url, cwd) as (root, cloned):
        project = Project(root)
        if rev is None and not cloned:
            fs = _workspace_fs(project)
            outs = list(revision_outs(_OnDisk(root, [p for p, m in fs.items() if not m[0]])))
        else:
            revision = git_revision(root, rev or "HEAD", cloned)
            fs = _git_fs(root, revision.sha)
            outs = list(revision_outs(revision))
        if dvc_only:
            fs = {}
        merged = {p: Entry(p, False, isdir, isexec, size, None)
                  for p, (isdir, isexec, size) in fs.items()}
        merged.update(_dvc_entries(project, outs, fs, cloned, want))
        return merged, (root if rev is None and not cloned else None)


def listing(found: dict[str, Entry], path: str, recursive: bool, dvc_only: bool,
            workspace: Path | None = None) -> list[Entry]:
    """What ``ls`` prints for ``path`` (repo-relative, "" for the root), paths relative to it;
    ``workspace`` is the repo's root when it was listed from there (DVC's error differs)."""
    path = clean(path)
    if path and path not in found:
        parts = tuple(path.split("/"))
        msg = (f"[Errno 2] No such file or directory: '{workspace / path}'" if workspace
               else f"[Errno 2] No such file or directory: '/{path}': {parts}")
        raise PathError(msg)
    if path and not found[path].isdir:
        e = found[path]
        return [Entry(posixpath.basename(path), e.isout, e.isdir, e.isexec, e.size, e.md5)]
    prefix = f"{path}/" if path else ""
    rows = []
    for p, e in found.items():
        if not p.startswith(prefix) or p == path:
            continue
        rel = p[len(prefix):]
        if (recursive and e.isdir) or (not recursive and "/" in rel):
            continue
        if dvc_only and not (e.isout or (e.isdir and _holds_outs(found, p))):
            continue
        rows.append(Entry(rel, e.isout, e.isdir, e.isexec, e.size, e.md5))
    return sorted(rows, key=lambda e: e.path)


def clean(path: str) -> str:
    """A PATH argument as a repo-relative posix path, "" for the root."""
    path = posixpath.normpath(path).strip("/") if path else ""
    return "" if path == "." else path


def _holds_outs(found: dict[str, Entry], path: str) -> bool:
    return any(e.isout for p, e in found.items() if p.startswith(path + "/"))


__all__ = ["Entry", "clean", "entries", "listing", "needs_members", "opened"]
