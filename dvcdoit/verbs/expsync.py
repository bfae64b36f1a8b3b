"""``exp push`` / ``exp pull``: experiment refs to and from a git remote, their data to and from
the DVC remote, as DVC 3.67.1 does them (measured; docs/experiments.md).

Which experiments: the names given (an experiment name, or its full ``refs/exps/…`` ref; a
name on several baselines means the one on ``HEAD``'s), else every experiment of ``-A``, else
those of the baselines ``--rev R -n N`` selects (default ``HEAD``). ``pull`` resolves names
against the git remote's refs. Each ref is then ``up_to_date`` (same commit on both sides),
``success`` (moved: absent on the other side, or replaced with ``-f``) or ``diverged`` (a
different commit there, kept). All refs move in one ``git push`` / ``git fetch``. The data
of the experiments' commits moves after (``--no-cache`` skips it): push uploads their outputs
(the workspace's are not pushed: DVC's ``workspace=False``), pull fetches them into the cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dvcdoit.core.errors import DvcDoitError
from dvcdoit.pipeline.selection import Selection
from dvcdoit.pipeline.session import Session
from dvcdoit.repo.exprefs import ExperimentError, ExpRef, exp_refs, remote_exp_refs
from dvcdoit.repo.revision import resolve, run_git
from dvcdoit.repo.revisions import last_commits
from dvcdoit.verbs import cloud
from dvcdoit.verbs.cloud import Progress, SyncResult
from dvcdoit.verbs.syncscope import revision_tracked

Refs = list[tuple[ExpRef, str]]


@dataclass(frozen=True)
class Which:
    """The experiments a push or pull names (DVC's ``EXP…``, ``-A``, ``--rev``, ``-n``)."""

    names: tuple[str, ...] = ()
    all_commits: bool = False
    revs: tuple[str, ...] = ()
    num: int = 1


@dataclass(frozen=True)
class Cache:
    """Whether and how the experiments' data moves (``--no-cache``, ``-r``, ``-j``,
    ``--run-cache``)."""

    move: bool = True
    remote: str | None = None
    jobs: int | None = None
    run_cache: bool = False


@dataclass
class ExpSync:
    """What one ``exp push`` / ``exp pull`` did, by DVC's sync statuses (refs in order)."""

    up_to_date: list[ExpRef] = field(default_factory=list)
    success: list[ExpRef] = field(default_factory=list)
    diverged: list[ExpRef] = field(default_factory=list)
    data: SyncResult | None = None


def _named(root: Path, refs: Refs, names: Sequence[str]) -> Refs:
    head = resolve(root, "HEAD")
    chosen: Refs = []
    for name in names:
        hits = [(e, s) for e, s in refs if name in (e.name, e.ref)]
        if len(hits) > 1:
            hits = [(e, s) for e, s in hits if e.baseline == head] or hits[:0]
        if len(hits) != 1:
            msg = f"'{name}' is not a valid experiment name"
            raise ExperimentError(msg)
        chosen += [h for h in hits if h not in chosen]
    return chosen


def select(root: Path, refs: Refs, which: Which) -> Refs:
    """The experiments of ``refs`` that ``which`` names, newest baseline commits first."""
    if which.names:
        return _named(root, refs, which.names)
    if which.all_commits:
        return list(refs)
    bases = {sha for rev in which.revs or ("HEAD",) for sha in last_commits(root, rev,
                                                                           which.num)}
    return [(e, s) for e, s in refs if e.baseline in bases]


def _status(mine: str, theirs: str | None, force: bool) -> str:
    if theirs == mine:
        return "up_to_date"
    return "success" if theirs is None or force else "diverged"


def _move(root: Path, args: list[str], what: str) -> None:
    proc = run_git(root, *args)
    if proc.returncode != 0:
        why = proc.stderr.decode(errors="replace").strip().splitlines()
        msg = f"git failed to {what}: {why[-1] if why else 'exit ' + str(proc.returncode)}"
        raise DvcDoitError(msg)


def _data(session: Session, verb: str, commits: list[str], cache: Cache,
          progress: Progress | None) -> SyncResult | None:
    if not cache.move or not commits:
        return None
    project = session.project
    with project.lock():
        index = session.index
        more = revision_tracked(project, commits, [], project.root)
        act = cloud.push if verb == "push" else cloud.fetch
        return act(index, Selection(), cache.remote, cache.jobs, cache.run_cache, progress,
                   more=more)


def _sorted(chosen: Refs, other: dict[str, str], force: bool) -> ExpSync:
    result = ExpSync()
    for exp, sha in chosen:
        getattr(result, _status(sha, other.get(exp.ref), force)).append(exp)
    return result


def push(session: Session, git_remote: str, which: Which, force: bool = False,
         cache: Cache = Cache(), progress: Progress | None = None) -> ExpSync:
    """``exp push GIT_REMOTE``: the refs, then (unless ``--no-cache``) their data."""
    root = session.root
    chosen = select(root, exp_refs(root), which)
    result = _sorted(chosen, {e.ref: s for e, s in remote_exp_refs(root, git_remote)}, force)
    if result.success:
        _move(root, ["push", "--quiet", *(["--force"] if force else []), git_remote,
                     *(f"{e.ref}:{e.ref}" for e in result.success)], f"push to '{git_remote}'")
    done = [s for e, s in chosen if e not in result.diverged]
    result.data = _data(session, "push", done, cache, progress)
    return result


def pull(session: Session, git_remote: str, which: Which, force: bool = False,
         cache: Cache = Cache(), progress: Progress | None = None) -> ExpSync:
    """``exp pull GIT_REMOTE``: the refs, then (unless ``--no-cache``) their data fetched."""
    root = session.root
    chosen = select(root, remote_exp_refs(root, git_remote), which)
    result = _sorted(chosen, {e.ref: s for e, s in exp_refs(root)}, force)
    if result.success:
        _move(root, ["fetch", "--quiet", "--no-tags", git_remote,
                     *(f"{'+' if force else ''}{e.ref}:{e.ref}" for e in result.success)],
              f"fetch from '{git_remote}'")
    done = [s for e, s in chosen if e not in result.diverged]
    result.data = _data(session, "fetch", done, cache, progress)
    return result


__all__ = ["Cache", "ExpSync", "Which", "pull", "push", "select"]
