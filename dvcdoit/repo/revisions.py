"""Which revisions a verb reads: ``a_rev b_rev``, ``-a``, ``-T``, ``-A``, as DVC selects them.

DVC's order (its ``brancher``/``iter_revs``): ``workspace`` first when wanted, then the revs
named on the command line, then every branch (sorted), then every tag (sorted), or for
``--all-commits`` every commit reachable from HEAD, branches, remotes and tags, newest
first. Revisions that are the same commit are one entry whose label joins their names
with commas (``main,v1``), as DVC labels them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from dvcdoit.repo.revision import resolve, run_git

WORKSPACE = "workspace"


@dataclass(frozen=True)
class RevName:
    """One selected revision: DVC's label for it and its commit (None for the workspace)."""

    label: str
    sha: str | None


def _lines(root: Path, *args: str) -> list[str]:
    return [line for line in run_git(root, *args).stdout.decode().splitlines() if line]


def _names(root: Path, revs: Sequence[str], all_branches: bool, all_tags: bool,
           all_commits: bool) -> Iterable[tuple[str, str]]:
    """(name, sha) for every selected revision, in DVC's order, duplicates included."""
    for rev in revs:
        if rev != WORKSPACE:
            yield rev, resolve(root, rev)
    if all_commits:
        for sha in _lines(root, "rev-list", "--date-order", "HEAD", "--branches",
                          "--remotes", "--tags", "--"):
            yield sha, sha
        return
    refs = (("refs/heads/", all_branches), ("refs/tags/", all_tags))
    for prefix, wanted in refs:
        if wanted:
            for line in sorted(_lines(root, "for-each-ref", "--format=%(refname)", prefix)):
                name = line[len(prefix):]
                yield name, resolve(root, line)


def active_branch(root: Path) -> str | None:
    """The checked-out branch's name, or None on a detached HEAD."""
    lines = _lines(root, "symbolic-ref", "--short", "-q", "HEAD")
    return lines[0] if lines else None


def has_commits(root: Path) -> bool:
    """Whether the repo has a commit at all (DVC's results verbs show nothing before one)."""
    return run_git(root, "rev-parse", "--verify", "--quiet", "HEAD").returncode == 0


def is_dirty(root: Path) -> bool:
    """Whether a tracked file differs from HEAD (staged or not); untracked files do not count."""
    return bool(_lines(root, "status", "--porcelain", "--untracked-files=no"))


def select_revs(root: Path, revs: Sequence[str] = (), all_branches: bool = False,
                all_tags: bool = False, all_commits: bool = False,
                workspace: bool = True) -> list[RevName]:
    """The revisions to read, labelled and ordered as DVC does (see the module docstring).

    With no selector at all, only the workspace (if ``workspace``). An unknown rev is a
    :class:`~dvcdoit.core.errors.PathError` naming it.
    """
    grouped: dict[str, list[str]] = {}
    for name, sha in _names(root, revs, all_branches, all_tags, all_commits):
        names = grouped.setdefault(sha, [])
        if name not in names:
            names.append(name)
    selected = [RevName(WORKSPACE, None)] if workspace or WORKSPACE in revs else []
    selected += [RevName(",".join(names), sha) for sha, names in grouped.items()]
    return selected


def last_commits(root: Path, rev: str, num: int) -> list[str]:
    """``rev`` and the ``num - 1`` first-parent commits before it (fewer at the root), as
    DVC's ``--rev R -n N`` selects them."""
    found = [resolve(root, rev)] if num > 0 else []
    if num > 1:
        found += _lines(root, "rev-list", "--first-parent", f"--max-count={num - 1}",
                        f"{found[0]}~1", "--") if _has_parent(root, found[0]) else []
    return found


def _has_parent(root: Path, sha: str) -> bool:
    return run_git(root, "rev-parse", "--verify", "--quiet", f"{sha}~1").returncode == 0


def all_commits(root: Path) -> list[str]:
    """Every commit reachable from HEAD, branches, remotes and tags, newest first."""
    return _lines(root, "rev-list", "--date-order", "HEAD", "--branches", "--remotes",
                  "--tags", "--")


def commits_since(root: Path, stamp: float) -> list[str]:
    """The commits of :func:`all_commits` whose commit time is at ``stamp`` or after it."""
    out = _lines(root, "log", "--date-order", "--format=%H %ct", "HEAD", "--branches",
                 "--remotes", "--tags", "--")
    return [sha for sha, _, when in (line.partition(" ") for line in out) if int(when) >= stamp]


def branch_commits(root: Path, tip: str, base: str) -> list[str]:
    """The commits reachable from ``tip`` and not from ``base`` (an experiment's own)."""
    return _lines(root, "rev-list", tip, f"^{base}", "--")


def branch_tips(root: Path, tags: bool = False) -> list[str]:
    """The commits every branch (or, with ``tags``, every tag) points at, sorted by name."""
    prefix = "refs/tags/" if tags else "refs/heads/"
    names = sorted(_lines(root, "for-each-ref", "--format=%(refname)", prefix))
    return [resolve(root, name) for name in names]


__all__ = ["WORKSPACE", "RevName", "active_branch", "all_commits", "branch_commits",
           "branch_tips", "commits_since", "has_commits", "is_dirty", "last_commits",
           "select_revs"]
