"""``data status``: DVC 3's three views of tracked data (see docs/manage.md).

- *uncommitted*: what the workspace's ``.dvc`` files and ``dvc.lock`` record → what the
  files hold now (``dvcdoit commit`` records it, ``checkout`` discards it);
- *committed*: what ``HEAD`` records → what the workspace's files record (git commit them);
- *not in cache*: recorded objects the cache lacks; *untracked*: files git does not track
  (with ``--untracked-files``); *unchanged* (with ``--unchanged``).

Without ``granular`` a directory is one entry (``dir/``); with it, its files too. Paths are
repo-relative, sorted (DVC lists them in its trie's order, which varies from run to run).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dvcdoit.core.hashing import HashInfo
from dvcdoit.repo.project import Project
from dvcdoit.repo.revision import GitObjects, run_git
from dvcdoit.repo.revisions import has_commits
from dvcdoit.storage.remotes import OBJECT_DIR
from dvcdoit.verbs.cloud import open_named
from dvcdoit.verbs.datadiff import DataDiff, compare, entries, workspace_entries
from dvcdoit.verbs.locate import workspace_outs
from dvcdoit.verbs.snapshot import Snapshot

STATES = ("modified", "added", "deleted", "renamed")


@dataclass
class DataStatus:
    """The sections of ``data status``, each empty when there is nothing to say."""

    not_in_cache: list[str] = field(default_factory=list)
    not_in_remote: list[str] = field(default_factory=list)
    committed: dict[str, list[Any]] = field(default_factory=dict)
    uncommitted: dict[str, list[Any]] = field(default_factory=dict)
    untracked: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    git_empty: bool = False
    git_dirty: bool = False

    def sections(self) -> dict[str, Any]:
        """The non-empty sections in DVC's order (its ``--json`` keys)."""
        found = {"not_in_cache": self.not_in_cache, "not_in_remote": self.not_in_remote,
                 "committed": self.committed, "uncommitted": self.uncommitted,
                 "untracked": self.untracked, "unchanged": self.unchanged}
        return {key: value for key, value in found.items() if value}


def _changes(diff: DataDiff) -> dict[str, list[Any]]:
    """DVC's ``{state: [path | {old, new}]}``, each state in the order its first path comes."""
    rows: list[tuple[str, str, Any]] = []
    rows += [(c.path, "modified", c.path) for c in diff.modified]
    rows += [(c.path, "added", c.path) for c in diff.added]
    rows += [(c.path, "deleted", c.path) for c in diff.deleted]
    rows += [(c.path, "renamed", {"old": c.old_path, "new": c.path}) for c in diff.renamed]
    out: dict[str, list[Any]] = {}
    for _, state, item in sorted(rows, key=lambda r: (STATES.index(r[1]), r[0])):
        out.setdefault(state, []).append(item)
    return out


def _shallow(found: dict[str, str], outs: set[str]) -> dict[str, str]:
    """Only the outputs themselves (a directory as ``dir/``), not the files inside."""
    return {p: h for p, h in found.items() if p.rstrip("/") in outs}


def _targeted(found: dict[str, str], targets: tuple[str, ...]) -> dict[str, str]:
    if not targets:
        return found
    keep = tuple(t.rstrip("/") for t in targets)
    return {p: h for p, h in found.items()
            if any(p.rstrip("/") == t or p.startswith(t + "/") for t in keep)}


def data_status(project: Project, targets: tuple[str, ...] = (), granular: bool = False,
                untracked_files: bool = False, not_in_remote: bool = False,
                remote: str | None = None) -> DataStatus:
    """What ``dvcdoit data status`` reports for ``project``."""
    outs = {o.out for o in workspace_outs(project)}
    known: dict[str, Any] = {}
    objects = GitObjects(project.root)
    try:
        now = workspace_entries(project, known)
        recorded = entries(Snapshot(project, None, objects=objects), known)
        head: dict[str, str] | None = None
        if has_commits(project.root):
            snap = Snapshot(project, "HEAD", objects=objects)
            outs |= {o.out for o in snap.outs()}
            head = entries(snap)
    finally:
        objects.close()
    views = [now, recorded, head or {}]
    if not granular:
        views = [_shallow(v, outs) for v in views]
    now, recorded, head_view = (_targeted(v, targets) for v in views)
    status = DataStatus(git_empty=head is None)
    status.uncommitted = _changes(compare(recorded, now))
    if head is not None:
        status.committed = _changes(compare(head_view, recorded))
    status.not_in_cache = sorted(p for p, h in recorded.items()
                                 if not project.cache.has(HashInfo("md5", h)))
    if not_in_remote:
        status.not_in_remote = _not_on_remote(project, recorded, remote)
    same = {p for p, h in recorded.items() if now.get(p) == h}
    if head is not None:
        same &= {p for p, h in recorded.items() if head_view.get(p) == h}
    status.unchanged = sorted(same)
    status.untracked = _git_untracked(project) if untracked_files else []
    status.git_dirty = bool(run_git(project.root, "status", "--porcelain").stdout.strip())
    return status


def _not_on_remote(project: Project, recorded: dict[str, str], remote: str | None) -> list[str]:
    """Recorded paths whose object the remote lacks, in one batched existence check."""
    _, rem = open_named(project, remote)
    by_rel = {f"{OBJECT_DIR}/{h[:2]}/{h[2:]}": h for h in set(recorded.values())}
    there = {by_rel[rel] for rel in rem.exists_many(by_rel)} if by_rel else set()
    return sorted(p for p, h in recorded.items() if h not in there)


def _git_untracked(project: Project) -> list[str]:
    out = run_git(project.root, "ls-files", "--others", "--exclude-standard", "-z")
    return sorted(p for p in out.stdout.decode().split("\0") if p)


__all__ = ["DataStatus", "data_status"]
