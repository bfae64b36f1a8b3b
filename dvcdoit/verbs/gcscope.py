"""Which git revisions ``gc`` keeps besides the workspace, selected as DVC 3 selects them.

DVC's ``iter_revs``: the ``--rev`` commit and the ``-n - 1`` commits before it; then either
every commit (``-A``), or every branch tip (with ``-n``: its last N commits), every tag and,
with ``--date``, every commit made on that day or later; then, with ``--all-experiments``,
the commits of every experiment ref. The workspace is always kept, as in DVC.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from dvcdoit.core.errors import DvcDoitError
from dvcdoit.repo import revisions
from dvcdoit.repo.exprefs import exp_refs


class GcScopeError(DvcDoitError):
    """A gc scope flag combination or value DVC refuses too."""


@dataclass(frozen=True)
class Scope:
    """The revisions gc keeps, as the command line names them."""

    workspace: bool = False
    rev: str | None = None
    num: int | None = None
    all_branches: bool = False
    all_tags: bool = False
    all_commits: bool = False
    all_experiments: bool = False
    commit_date: str | None = None

    def check(self) -> None:
        """DVC's refusals: no scope at all, and ``-n`` without ``--rev`` or ``-a``."""
        if not (self.workspace or self.rev or self.all_branches or self.all_tags
                or self.all_commits or self.all_experiments or self.commit_date):
            msg = ("Either of `-w|--workspace`, `-a|--all-branches`, `-T|--all-tags` "
                   "`--all-experiments`, `--all-commits`, `--date` or `--rev` needs to be set.")
            raise GcScopeError(msg)
        if self.num and not (self.rev or self.all_branches):
            msg = "`--num` can only be used alongside `--rev` or `--all-branches`"
            raise GcScopeError(msg)
        if self.commit_date is not None:
            self.date_stamp()

    def date_stamp(self) -> float:
        """``--date`` as a local-time timestamp (midnight of that day), as DVC reads it."""
        try:
            day = datetime.datetime.strptime(self.commit_date or "", "%Y-%m-%d")
        except ValueError:
            msg = f"gc --date '{self.commit_date}' is not a date: give it as YYYY-MM-DD"
            raise GcScopeError(msg) from None
        return day.timestamp()  # NOTE: naive, so local time, as DVC's strptime().timestamp()

    @property
    def count(self) -> int:
        """The commits per ``--rev`` or branch: ``-n``, else 1."""
        return self.num or 1

    def warning(self) -> str:
        """DVC's sentence after ``This will remove all cache except items used in``."""
        msg = "the workspace"
        if self.all_commits:
            return msg + " and all git commits" + self._experiments()
        last = f" and last {self.count} commits from all git branches" if self.num else ""
        if self.all_branches and self.all_tags:
            msg += f"{last} and all git tags" if last else " and all git branches and tags"
        elif self.all_branches:
            msg += last or " and all git branches"
        elif self.all_tags:
            msg += " and all git tags"
        if self.commit_date:
            msg += f" and all git commits before date {self.commit_date}"  # NOTE: DVC's words
        if self.rev:
            msg += f" and last {self.count} commits from {self.rev}"
        return msg + self._experiments()

    def _experiments(self) -> str:
        return " and all experiments" if self.all_experiments else ""


def commits(root: Path, scope: Scope) -> list[str]:
    """The commits gc keeps (besides the workspace), each once, in DVC's order."""
    found: list[str] = []
    if scope.rev:
        found += revisions.last_commits(root, scope.rev, scope.count)
    if scope.all_commits:
        found += revisions.all_commits(root)
    else:
        if scope.all_branches:
            for tip in revisions.branch_tips(root):
                found += revisions.last_commits(root, tip, scope.count)
        if scope.all_tags:
            found += revisions.branch_tips(root, tags=True)
        if scope.commit_date:
            found += revisions.commits_since(root, scope.date_stamp())
    if scope.all_experiments:
        for exp, sha in exp_refs(root):
            found += revisions.branch_commits(root, sha, exp.baseline)
    return list(dict.fromkeys(found))


__all__ = ["GcScopeError", "Scope", "commits"]
