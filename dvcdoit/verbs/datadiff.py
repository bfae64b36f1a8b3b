"""``diff`` between two git revisions: the tracked data added, deleted, renamed and modified.

Each side is a flat map of DVC paths to hashes (``dvc diff``'s own view): every output of the
revision's ``.dvc`` and ``dvc.lock`` files, a directory as ``path/`` plus one entry per member
file read from its ``.dir`` manifest (through :class:`~dvcdoit.verbs.snapshot.Snapshot`). A deleted and an added entry with the same
hash are a rename, as DVC pairs them. The workspace side is not implemented yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dvcdoit.repo.project import Project
from dvcdoit.repo.revision import GitObjects
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


def _entries(snap: Snapshot, targets: tuple[str, ...]) -> dict[str, str]:
    """Path → hash of every output of ``snap`` (directories as ``path/`` and members)."""
    found: dict[str, str] = {}
    for out in snap.outs():
        if out.hi.isdir:
            found[out.out + "/"] = out.hi.value
            for entry in snap.manifest(out):
                found[f"{out.out}/{entry.relpath}"] = entry.md5
        else:
            found[out.out] = out.hi.value
    if targets:
        keep = tuple(t.rstrip("/") for t in targets)
        found = {p: h for p, h in found.items()
                 if any(p.rstrip("/") == t or p.startswith(t + "/") for t in keep)}
    return found


def data_diff(project: Project, a_rev: str, b_rev: str,
              targets: tuple[str, ...] = ()) -> DataDiff:
    """The diff of ``a_rev`` → ``b_rev``; :class:`PathError` naming an unknown rev.

    Manifests missing from the cache are fetched from the remote (and verified).
    """
    objects = GitObjects(project.root)
    try:
        a = _entries(Snapshot(project, a_rev, objects=objects), targets)
        b = _entries(Snapshot(project, b_rev, objects=objects), targets)
    finally:
        objects.close()
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


__all__ = ["Change", "DataDiff", "data_diff"]
