"""Remote verbs for a whole repo: which objects are used, and push / fetch / pull / status -c.

``used`` walks the data sources and the stages' lock entries (spec §12.2) and groups the
objects by the remote that should hold them; the verbs then hand each group to
:mod:`dvcdoit.storage.transfer`. Everything returns data; rendering is the caller's job.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from dvcdoit.core.errors import CheckoutError, ConfigError, DvcDoitError, PathError
from dvcdoit.core.hashing import HashInfo
from dvcdoit.pipeline.index import Index
from dvcdoit.pipeline.stage import run_cache_entry
from dvcdoit.repo import sources as srcs
from dvcdoit.repo.project import Project
from dvcdoit.storage import runcache, transfer
from dvcdoit.storage.remotes import Remote, open_remote
from dvcdoit.storage.transfer import Item, TransferResult

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Tracked:
    """One cached output: its repo-relative path, hash, exec bit and transfer flags."""

    path: str
    hi: HashInfo
    isexec: bool = False
    push: bool = True
    remote: str | None = None


@dataclass(frozen=True)
class SyncResult:
    """Outcome of push/fetch/pull: objects, run-cache entries, and pull's checkout changes."""

    result: TransferResult = field(default_factory=TransferResult)
    runs: TransferResult | None = None
    checkout: tuple[tuple[str, str], ...] = ()
    checkout_failures: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every object moved and every output was restored."""
        return self.result.ok and (self.runs is None or self.runs.ok) \
            and not self.checkout_failures


def tracked(index: Index, targets: Sequence[str]) -> list[Tracked]:
    """Every cached output with a recorded hash, of the targets (stage names or paths) or all."""
    out: list[Tracked] = []
    matched: set[str] = set()
    for src in index.sources.values():
        hit = [t for t in targets if srcs.matches(src, t)]
        if targets and not hit:
            continue
        matched.update(hit)
        for o, rel in zip(src.file.outs, src.out_paths, strict=False):
            if o.cache and o.hash is not None:
                out.append(Tracked(rel, o.hash, o.isexec, o.push, o.remote))
    for name, stage in index.stages.items():
        lock = index.locks.get(name)
        paths = [stage.repo_path(o.path) for o in stage.outs]
        hit = [t for t in targets if t == name or t == stage.name or any(
            p == t.rstrip("/") or p.startswith(t.rstrip("/") + "/") for p in paths)]
        if (targets and not hit) or lock is None:
            continue
        matched.update(hit)
        for so in stage.outs:
            item = lock.out(so.path)
            if so.cache and item is not None and item.hash is not None:
                out.append(Tracked(stage.repo_path(so.path), item.hash, item.isexec, so.push,
                                   so.remote))
    unknown = [t for t in targets if t not in matched]
    if unknown:
        msg = f"'{unknown[0]}' is neither a stage nor tracked data; check the name or path"
        raise PathError(msg)
    return out


def open_named(project: Project, name: str | None) -> tuple[str, Remote]:
    """Open remote ``name``, or the default (``core.remote``); one-line error if there is none."""
    cfg = project.config
    name = name or cfg.core_remote
    if not name:
        msg = ("no remote given and no default remote set; run "
               "'dvcdoit remote add -d NAME URL' or pass -r NAME")
        raise ConfigError(msg)
    if name not in cfg.remotes:
        known = ", ".join(sorted(cfg.remotes)) or "none"
        msg = f"remote '{name}' doesn't exist (configured: {known}); see 'dvcdoit remote list'"
        raise ConfigError(msg)
    return name, open_remote(cfg.remotes[name])


def groups(project: Project, outs: list[Tracked], remote: str | None,
           for_push: bool) -> dict[str, list[Item]]:
    """Group outputs by the remote name they move to (``remote:`` on the out wins over default).

    With an explicit ``remote`` outputs pinned to another remote are skipped, as in DVC;
    ``push: false`` outputs are skipped on push and ``status -c``.
    """
    grouped: dict[str, list[Item]] = {}
    default = remote or project.config.core_remote or ""
    for t in outs:
        if for_push and not t.push:
            continue
        if remote and t.remote and t.remote != remote:
            continue
        grouped.setdefault(t.remote or default, []).append((t.path, t.hi))
    return grouped


def push(project: Project, index: Index, targets: Sequence[str], remote: str | None = None,
         jobs: int | None = None, run_cache: bool = False,
         progress: Progress | None = None) -> SyncResult:
    """Upload what the targets use (and, with ``run_cache``, the run-cache) to the remote(s)."""
    total = TransferResult()
    runs = None
    for name, items in groups(project, tracked(index, targets), remote, True).items():
        _, rem = open_named(project, name or None)
        total = total + transfer.push(project.cache, rem, items, jobs, progress)
    if run_cache:
        _, rem = open_named(project, remote)
        runs = transfer.push_runs(project.cache, rem, jobs, progress)
    return SyncResult(total, runs)


def fetch(project: Project, index: Index, targets: Sequence[str], remote: str | None = None,
          jobs: int | None = None, run_cache: bool = False,
          progress: Progress | None = None) -> SyncResult:
    """Download into the cache what the targets use and the cache lacks (verified)."""
    total = TransferResult()
    runs = None
    if run_cache:
        _, rem = open_named(project, remote)
        runs = transfer.fetch_runs(project.cache, rem, jobs, progress, runcache.verify_file)
    outs = tracked(index, targets)
    if run_cache:
        outs += _run_cache_outs(project, index, targets)
    for name, items in groups(project, outs, remote, False).items():
        _, rem = open_named(project, name or None)
        total = total + transfer.fetch(project.cache, rem, items, jobs, progress)
    return SyncResult(total, runs)


def _run_cache_outs(project: Project, index: Index, targets: Sequence[str]) -> list[Tracked]:
    """Outputs named by the run-cache entries that match the stages' current deps and params."""
    out: list[Tracked] = []
    for name in index.stage_order():
        sdef = index.stages[name]
        if targets and name not in targets and sdef.name not in targets:
            continue
        entry = run_cache_entry(project.workspace, sdef, index.locks.get(name))
        if entry is None:
            continue
        for so in sdef.outs:
            item = entry.out(so.path)
            if so.cache and item is not None and item.hash is not None:
                out.append(Tracked(sdef.repo_path(so.path), item.hash, item.isexec, so.push,
                                   so.remote))
    return out


def pull(project: Project, index: Index, targets: Sequence[str], remote: str | None = None,
         jobs: int | None = None, run_cache: bool = False, force: bool = False,
         progress: Progress | None = None) -> SyncResult:
    """``fetch`` then check the outputs out; outputs whose objects did not arrive are reported."""
    fetched = fetch(project, index, targets, remote, jobs, run_cache, progress)
    changes, failures = checkout(project, index, targets, force)
    return SyncResult(fetched.result, fetched.runs, tuple(changes), tuple(failures))


def checkout(project: Project, index: Index, targets: Sequence[str], force: bool = False,
             progress: Progress | None = None) -> tuple[list[tuple[str, str]], list[str]]:
    """Restore every tracked output of ``targets`` from the cache.

    Returns ``(changes, failures)``: ``("A" | "M", path)`` for outputs created or modified,
    and one message per output that could not be restored (the others still are).
    """
    changes: list[tuple[str, str]] = []
    failures: list[str] = []
    ws = project.workspace
    for t in tracked(index, targets):
        path = project.root / t.path
        existed = os.path.lexists(path)
        try:
            if ws.checkout(path, t.hi, t.isexec, force, progress):
                changes.append(("M" if existed else "A", t.path + ("/" if t.hi.isdir else "")))
        except CheckoutError as exc:
            failures.extend(exc.failures)
        except DvcDoitError as exc:  # NOTE: reported per output; the others are restored
            failures.append(str(exc))
    return changes, failures


def cloud_status(project: Project, index: Index, targets: Sequence[str],
                 remote: str | None = None, jobs: int | None = None) -> tuple[str, dict[str, str]]:
    """``status -c``: the remote's name and ``{name: new|deleted|missing}`` for used objects."""
    merged: dict[str, str] = {}
    shown = remote or project.config.core_remote or ""
    for name, items in groups(project, tracked(index, targets), remote, True).items():
        shown, rem = open_named(project, name or None)
        merged.update(transfer.status(project.cache, rem, items, jobs))
    if not merged and not shown:
        shown, _ = open_named(project, remote)
    return shown, merged


def run(project: Project, verb: str, targets: Sequence[str], remote: str | None = None,
        jobs: int | None = None, run_cache: bool = False, force: bool = False,
        progress: Progress | None = None) -> SyncResult:
    """Run ``push``, ``fetch`` or ``pull`` on the whole repo under ``.dvc/tmp/lock``."""
    from dvcdoit.pipeline.index import load_index

    with project.lock():
        index = load_index(project)
        if verb == "pull":
            return pull(project, index, targets, remote, jobs, run_cache, force, progress)
        if verb == "push":
            return push(project, index, targets, remote, jobs, run_cache, progress)
        if verb == "fetch":
            return fetch(project, index, targets, remote, jobs, run_cache, progress)
    msg = f"unknown transfer verb {verb!r}"
    raise ValueError(msg)
