"""``diff`` between two git revisions: the tracked data added, deleted, renamed and modified.

Each side is a flat map of DVC paths to hashes (``dvc diff``'s own view): every output of the
revision's ``.dvc`` and ``dvc.lock`` files, a directory as ``path/`` plus one entry per member
file read from its ``.dir`` manifest (through :class:`~dvcdoit.verbs.snapshot.Snapshot`).
The workspace side hashes what each output of the workspace's ``.dvc``/``dvc.lock`` files
holds now (through the state DB, so unchanged files are not read); an output that is gone
is deleted. A deleted and an added entry with the same hash are a rename, as DVC pairs them.
Against the workspace, ``not in cache`` lists the old side's entries whose object the
cache lacks, changed or not, as DVC does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from dvcdoit.core.errors import ConfigError, HashingError, RemoteError
from dvcdoit.core.hashing import HashInfo, ManifestEntry
from dvcdoit.repo.hasher import Hashed, Members
from dvcdoit.repo.project import Project
from dvcdoit.repo.revision import GitObjects
from dvcdoit.repo.revisions import WORKSPACE
from dvcdoit.verbs.locate import workspace_outs
from dvcdoit.verbs.snapshot import Snapshot


@dataclass(frozen=True)
class Change:
    """One entry of the diff: its path (``old`` too for a rename) and hashes (old, new)."""

    path: str
    old_hash: str = ""
    new_hash: str = ""
    old_path: str = ""


@dataclass
class DataDiff:
    """The changes between two revisions, each list sorted by path as DVC sorts them."""

    added: list[Change] = field(default_factory=list)
    deleted: list[Change] = field(default_factory=list)
    modified: list[Change] = field(default_factory=list)
    renamed: list[Change] = field(default_factory=list)
    not_in_cache: list[Change] | None = None  # NOTE: None between two revisions (DVC omits the key)


def _only(found: dict[str, str], targets: tuple[str, ...]) -> dict[str, str]:
    if not targets:
        return found
    keep = tuple(t.rstrip("/") for t in targets)
    return {p: h for p, h in found.items()
            if any(p.rstrip("/") == t or p.startswith(t + "/") for t in keep)}


def entries(snap: Snapshot,
             known: dict[str, tuple[ManifestEntry, ...]] | None = None) -> dict[str, str]:
    """Path → hash of every output of ``snap`` (directories as ``path/`` and members).

    ``known`` maps directory hashes to manifests already read (the workspace's): a manifest
    that neither they nor the cache nor a remote has leaves the directory without members.
    """
    found: dict[str, str] = {}
    for out in snap.outs():
        if out.hi.isdir:
            found[out.out + "/"] = out.hi.value
            manifest = (known or {}).get(out.hi.value)
            if manifest is None:
                try:
                    manifest = tuple(snap.manifest(out))
                except (RemoteError, ConfigError):
                    found[out.out + "/*"] = ""  # NOTE: members unknown (see data_diff)
                    continue
            for entry in manifest:
                found[f"{out.out}/{entry.relpath}"] = entry.md5
        else:
            found[out.out] = out.hi.value
    return found


def _members(project: Project, path: os.PathLike[str], now: Hashed) -> tuple[ManifestEntry, ...]:
    if now.members is Members.LISTED:
        return now.entries
    if project.cache.has(now.hi):
        return tuple(project.cache.read_manifest(now.hi))
    return project.workspace.hasher.members(project.root / path, now.hi.name)


def workspace_entries(project: Project,
                       known: dict[str, tuple[ManifestEntry, ...]]) -> dict[str, str]:
    """Path → hash of what each output of the workspace holds now (gone outputs left out);
    each directory's manifest is added to ``known``."""
    ws = project.workspace
    found: dict[str, str] = {}
    for out in workspace_outs(project):
        path = project.root / out.out
        if not os.path.lexists(path) or ws.ignore.is_ignored(out.out, path.is_dir()):
            continue
        try:
            now = ws.hash(path, out.hi.name)
        except HashingError:  # NOTE: a broken link, a file gone while hashed: deleted
            continue
        if now.hi.isdir:
            found[out.out + "/"] = now.hi.value
            known[now.hi.value] = _members(project, path, now)
            for entry in known[now.hi.value]:
                found[f"{out.out}/{entry.relpath}"] = entry.md5
        else:
            found[out.out] = now.hi.value
    return found


def _not_in_cache(project: Project, old: dict[str, str]) -> list[Change]:
    missing = []
    for path in sorted(old):
        if not project.cache.has(HashInfo("md5", old[path])):
            missing.append(Change(path, old_hash=old[path]))
    return missing


def data_diff(project: Project, a_rev: str, b_rev: str = WORKSPACE,
              targets: tuple[str, ...] = ()) -> DataDiff:
    """The diff of ``a_rev`` → ``b_rev`` (``workspace``: the files on disk now);
    :class:`PathError` naming an unknown rev.

    Manifests missing from the cache are fetched from the remote (and verified).
    """
    objects = GitObjects(project.root)
    known: dict[str, tuple[ManifestEntry, ...]] = {}
    try:
        b = (workspace_entries(project, known) if b_rev == WORKSPACE else
             entries(Snapshot(project, b_rev, objects=objects)))
        a = entries(Snapshot(project, a_rev, objects=objects), known)
    finally:
        objects.close()
    for side, other in ((a, b), (b, a)):
        for unknown in [p for p in side if p.endswith("/*")]:
            # NOTE: a .dir manifest that neither cache nor remote holds: the directory is
            # compared whole, its members on neither side (DVC may know them from its index)
            del side[unknown]
            under = unknown[:-1]
            for d in (side, other):
                for p in [p for p in d if p.startswith(under) and p != under]:
                    del d[p]
    a, b = _only(a, targets), _only(b, targets)
    result = compare(a, b)
    if b_rev == WORKSPACE:
        result.not_in_cache = _not_in_cache(project, a)
    return result


def compare(a: dict[str, str], b: dict[str, str]) -> DataDiff:
    """The changes from path → hash ``a`` to ``b``: a deleted path whose hash was added
    elsewhere (a file for a file, a directory for a directory) is a rename."""
    result = DataDiff()
    added = sorted(p for p in b if p not in a)
    deleted = sorted(p for p in a if p not in b)
    by_hash: dict[str, list[str]] = {}
    for p in added:
        by_hash.setdefault(b[p], []).append(p)
    for p in deleted:
        match = by_hash.get(a[p])
        if match and match[0].endswith("/") == p.endswith("/"):
            new = match.pop(0)
            result.renamed.append(Change(new, a[p], b[new], p))
            added.remove(new)
        else:
            result.deleted.append(Change(p, old_hash=a[p]))
    result.added = [Change(p, new_hash=b[p]) for p in added]
    result.modified = [Change(p, a[p], b[p]) for p in sorted(a) if p in b and a[p] != b[p]]
    result.renamed.sort(key=lambda c: c.old_path)
    return result


__all__ = ["Change", "DataDiff", "compare", "data_diff", "entries", "workspace_entries"]
