"""``exp show``'s data: the baselines, their experiments, as DVC 3.67.1's ``collect`` lists them.

The result is DVC's ``--json`` shape, a list of ``ExpState``s: ``{"rev", "name", "data",
"error", "experiments"}``, the workspace first (``rev`` ``workspace``), then each baseline
commit (``name``: the checked-out branch if it is HEAD, else a tag, else a branch pointing at
it), whose ``experiments`` are ``ExpRange``s ``{"revs": [ExpState…], "executor", "name"}``:
running, finished, queued, then failed ones, each group newest first (commit time, then sha,
both descending: DVC's ``_sorted_ranges``). Baselines: ``HEAD`` (and ``-n N`` commits down
its first parents), ``-a`` every branch, ``-T`` every tag, ``-A`` every commit, each once.

Finished experiments come from the refs (:mod:`dvcdoit.repo.exprefs`). Queued, running and
failed ones are the queue's (another module's): :func:`collect` takes them as ``pending``
(kind → baseline sha → ExpRange dicts), so the queue plugs in without this module knowing it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dvcdoit.core.errors import DvcDoitError
from dvcdoit.repo.exprefs import exp_refs, for_baseline
from dvcdoit.repo.project import Project
from dvcdoit.repo.revision import GitObjects, resolve, run_git
from dvcdoit.repo.revisions import WORKSPACE, has_commits
from dvcdoit.verbs.expdata import rev_data, timestamps
from dvcdoit.verbs.snapshot import Snapshot

PENDING_KINDS = ("active", "queued", "failed")
"""The kinds of ``pending`` rows, placed as DVC places them: active before the finished
experiments, queued and failed after them."""

Pending = Mapping[str, Mapping[str, Sequence[dict[str, Any]]]]


@dataclass(frozen=True)
class Baselines:
    """Which commits ``exp show`` lists (DVC's ``-a``, ``-T``, ``-A``, ``-n``, revs)."""

    revs: tuple[str, ...] = ()
    all_branches: bool = False
    all_tags: bool = False
    all_commits: bool = False
    num: int = 1
    hide_workspace: bool = False
    sha_only: bool = False


def _lines(root: Path, *args: str) -> list[str]:
    return [ln for ln in run_git(root, *args).stdout.decode().splitlines() if ln]


def _n_commits(root: Path, rev: str, num: int) -> list[str]:
    """``rev`` and its first parents, ``num`` in all (DVC's ``_get_n_commits``)."""
    if num == 0:
        return []
    count = [f"--max-count={num}"] if num > 0 else []  # NOTE: negative: all of them
    return _lines(root, "rev-list", "--first-parent", *count, resolve(root, rev))


def baseline_shas(root: Path, sel: Baselines) -> list[str]:
    """The baseline commits of ``sel``, in DVC's order, each once."""
    revs = list(sel.revs)
    if not (revs or sel.all_branches or sel.all_tags or sel.all_commits):
        revs = ["HEAD"]
    found: list[str] = []
    for rev in revs:
        found += _n_commits(root, rev, sel.num)
    if sel.all_commits:
        found += _lines(root, "rev-list", "--date-order", "HEAD", "--branches", "--tags",
                        "--remotes", "--")
    else:
        if sel.all_branches:
            for branch in sorted(_lines(root, "for-each-ref", "--format=%(refname)",
                                        "refs/heads/")):
                found += _n_commits(root, branch, sel.num)
        if sel.all_tags:
            found += [resolve(root, tag) for tag in sorted(
                _lines(root, "for-each-ref", "--format=%(refname)", "refs/tags/"))]
    return list(dict.fromkeys(found))


def describe(root: Path, shas: Sequence[str]) -> dict[str, str | None]:
    """Sha → DVC's name for it: the checked-out branch at HEAD, else a tag, else a branch."""
    head = _lines(root, "rev-parse", "--verify", "--quiet", "HEAD")
    branch = _lines(root, "symbolic-ref", "--short", "-q", "HEAD")
    tags: dict[str, str] = {}
    branches: dict[str, str] = {}
    for line in _lines(root, "for-each-ref", "--format=%(objectname) %(*objectname) %(refname)",
                       "refs/tags/", "refs/heads/"):
        parts = line.split(" ")
        sha, ref = (parts[1] or parts[0]), parts[-1]
        if ref.startswith("refs/tags/"):
            tags.setdefault(sha, ref[len("refs/tags/"):])
        else:
            branches.setdefault(sha, ref[len("refs/heads/"):])
    names: dict[str, str | None] = {}
    for sha in shas:
        if head and sha == head[0] and branch:
            names[sha] = branch[0]
        else:
            names[sha] = tags.get(sha) or branches.get(sha)
    return names


def state(rev: str, name: str | None = None, data: dict[str, Any] | None = None,
          error: dict[str, Any] | None = None,
          experiments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """One ``ExpState`` dict, keys in DVC's order."""
    return {"rev": rev, "name": name, "data": data, "error": error, "experiments": experiments}


def _collect_rev(project: Project, objects: GitObjects, sha: str | None,
                 when: str | None) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(data, error) of one revision: a revision that fails to load is DVC's error entry."""
    snap = Snapshot(project) if sha is None else Snapshot(project, sha, sha, objects, sha=sha)
    try:
        return rev_data(snap, sha or WORKSPACE, when), None
    except DvcDoitError as exc:
        return None, {"msg": str(exc), "type": type(exc).__name__}


def _sorted_ranges(ranges: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    def key(rng: dict[str, Any]) -> tuple[str, str]:
        head = rng["revs"][0] if rng.get("revs") else None
        data = (head or {}).get("data") or {}
        if head and data.get("timestamp"):
            return str(data["timestamp"]), str(head["rev"])
        return "", ""

    return sorted(ranges, key=key, reverse=True)


def _finished(project: Project, objects: GitObjects, baseline: str,
              refs: list[tuple[Any, str]], times: dict[str, str]) -> list[dict[str, Any]]:
    ranges: list[dict[str, Any]] = []
    for exp, sha in for_baseline(refs, baseline):
        revs = _lines(project.root, "rev-list", sha, f"^{baseline}", "--")
        states = []
        for i, rev in enumerate(revs):
            data, error = _collect_rev(project, objects, rev, times.get(rev))
            states.append(state(rev, exp.name if i == 0 else None, data, error))
        if states:
            ranges.append({"revs": states, "executor": None, "name": exp.name})
    return ranges


def collect(project: Project, sel: Baselines = Baselines(),
            pending: Pending | None = None) -> list[dict[str, Any]]:
    """DVC's ``exp show --json`` list for ``sel`` (nothing before the first commit).

    ``pending`` adds the queue's rows (see the module docstring): ``pending["active"]``,
    ``["queued"]`` and ``["failed"]`` map a baseline sha to its ExpRange dicts.
    """
    root = project.root
    if not has_commits(root):
        return []
    shas = baseline_shas(root, sel)
    names: dict[str, str | None] = {} if sel.sha_only else describe(root, shas)
    refs = exp_refs(root)
    wanted = set(shas)
    times = timestamps(root, [*shas, *(sha for e, sha in refs if e.baseline in wanted)])
    objects = GitObjects(root)
    result: list[dict[str, Any]] = []
    try:
        if not sel.hide_workspace:
            result.append(state(WORKSPACE, None, *_collect_rev(project, objects, None, None)))
        for sha in shas:
            extra = {kind: list((pending or {}).get(kind, {}).get(sha, ()))
                     for kind in PENDING_KINDS}
            exps = [*_sorted_ranges(extra["active"]),
                    *_sorted_ranges(_finished(project, objects, sha, refs, times)),
                    *_sorted_ranges(extra["queued"]), *_sorted_ranges(extra["failed"])]
            data, error = _collect_rev(project, objects, sha, times.get(sha))
            result.append(state(sha, names.get(sha), data, error, exps or None))
    finally:
        objects.close()
    return result


__all__ = ["PENDING_KINDS", "Baselines", "Pending", "baseline_shas", "collect", "describe",
           "state"]
