"""Remote verbs for a whole repo: push / fetch / pull / status -c.

:func:`dvcdoit.verbs.tracked.tracked` lists the objects a selection uses; they are grouped by
the remote that should hold them and each group goes to :mod:`dvcdoit.storage.transfer`.
Remotes are opened through an ``opener`` (default :func:`open_remote`), the seam tests use
to put an in-memory remote under every verb. Everything returns data; rendering is the
caller's job.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dvcdoit.core.errors import ConfigError
from dvcdoit.formats.config import RemoteConfig
from dvcdoit.pipeline.index import Index
from dvcdoit.pipeline.selection import Selection
from dvcdoit.pipeline.session import Session
from dvcdoit.pipeline.stage import run_cache_entry
from dvcdoit.repo.project import Project
from dvcdoit.repo.workspace import Changed
from dvcdoit.storage import runcache, transfer
from dvcdoit.storage.remotes import Remote, open_remote
from dvcdoit.storage.transfer import Item, TransferResult
from dvcdoit.verbs.checkout import checkout
from dvcdoit.verbs.syncscope import SyncScope, revision_tracked
from dvcdoit.verbs.tracked import Tracked, stage_outs, tracked

Progress = Callable[[int], None]
Opener = Callable[[RemoteConfig], Remote]
"""Turns a remote's config into a :class:`Remote` (:func:`open_remote`, or a test's fake)."""


@dataclass(frozen=True)
class SyncResult:
    """Outcome of push/fetch/pull: objects, run-cache entries, and pull's checkout changes."""

    result: TransferResult = field(default_factory=TransferResult)
    runs: TransferResult | None = None
    checkout: tuple[tuple[str, str], ...] = ()
    checkout_failures: tuple[str, ...] = ()
    counts: Changed = field(default_factory=Changed)
    """The files pull's checkout changed (DVC's ``modified``/``added``/``deleted``)."""
    allow_missing: bool = False
    """Objects missing everywhere are only warned of (pull ``--allow-missing``)."""

    @property
    def ok(self) -> bool:
        """True when every object moved and every output was restored."""
        moved = self.result.ok or (self.allow_missing and not self.result.failed
                                   and not self.result.corrupted)
        return moved and (self.runs is None or self.runs.ok) and not self.checkout_failures


def open_named(project: Project, name: str | None,
               opener: Opener = open_remote) -> tuple[str, Remote]:
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
    return name, opener(cfg.remotes[name])


def groups(project: Project, outs: list[Tracked], remote: str | None,
           for_push: bool) -> dict[str, list[Item]]:
    """Group outputs by the remote name they move to (``remote:`` on the out wins over default).

    With an explicit ``remote`` outputs pinned to another remote are skipped, as in DVC;
    ``push: false`` outputs are skipped on push and ``status -c``.
    """
    grouped: dict[str, list[Item]] = {}
    default = remote or project.config.core_remote or ""
    for t in outs:
        if for_push and (not t.push or t.source_repo is not None):
            continue  # NOTE: DVC 3 never pushes an import's output (nor compares it)
        if remote and t.remote and t.remote != remote:
            continue
        grouped.setdefault(t.remote or default, []).append((t.path, t.hi))
    return grouped


def push(index: Index, selection: Selection, remote: str | None = None,
         jobs: int | None = None, run_cache: bool = False, progress: Progress | None = None,
         opener: Opener = open_remote, more: Sequence[Tracked] = ()) -> SyncResult:
    """Upload what ``selection`` uses, and ``more`` (other revisions' outputs), and with
    ``run_cache`` the run-cache, to the remote(s)."""
    project = index.project
    total = TransferResult()
    runs = None
    outs = _joined(tracked(index, selection), more)
    for name, items in groups(project, outs, remote, True).items():
        _, rem = open_named(project, name or None, opener)
        total = total + transfer.push(project.cache, rem, items, jobs, progress)
    if run_cache:
        _, rem = open_named(project, remote, opener)
        runs = transfer.push_runs(project.cache, rem, jobs, progress)
    return SyncResult(_set_aside(project, total), runs)


def _set_aside(project: Project, result: TransferResult) -> TransferResult:
    """``result`` with its corrupt objects' paths shown from the repo root; and since those
    objects left the cache, no directory is remembered as complete any more."""
    if not result.corrupted:
        return result
    project.state.forget_all_complete()
    shown = tuple(c.shown_from(project.root) for c in result.corrupted)
    return dataclasses.replace(result, corrupted=shown)


def _joined(outs: list[Tracked], more: Sequence[Tracked]) -> list[Tracked]:
    """``outs`` and those of ``more`` whose object is not among them already."""
    seen = {t.hi for t in outs}
    return outs + [t for t in more if t.hi not in seen]


def fetch(index: Index, selection: Selection, remote: str | None = None,
          jobs: int | None = None, run_cache: bool = False, progress: Progress | None = None,
          opener: Opener = open_remote, more: Sequence[Tracked] = ()) -> SyncResult:
    """Download into the cache what ``selection`` (and ``more``) uses and the cache lacks
    (verified)."""
    project = index.project
    total = TransferResult()
    runs = None
    if run_cache:
        _, rem = open_named(project, remote, opener)
        runs = transfer.fetch_runs(project.cache, rem, jobs, progress, runcache.verify_file)
    outs = _joined(tracked(index, selection), more)
    if run_cache:
        outs += _run_cache_outs(index, selection)
    outs, sourced = _from_source_repos(project, outs)
    for store, items in sourced.items():
        total = total + transfer.fetch(project.cache, store, items, jobs, progress)
    for name, items in groups(project, outs, remote, False).items():
        _, rem = open_named(project, name or None, opener)
        total = total + transfer.fetch(project.cache, rem, items, jobs, progress)
    return SyncResult(_set_aside(project, total), runs)


def _from_source_repos(project: Project, outs: list[Tracked]
                       ) -> tuple[list[Tracked], dict[Remote, list[Item]]]:
    """Split off the outputs of imports from a local DVC repo: they come from that repo's
    cache, as DVC fetches an import from its source (the objects are named by the hashes
    our ``.dvc`` file records, so no git checkout of ``rev_lock`` is needed). Imports from
    elsewhere stay with the remote."""
    from dvcdoit.storage.remotes.local import LocalRemote

    rest: list[Tracked] = []
    stores: dict[str, Remote] = {}
    sourced: dict[Remote, list[Item]] = {}
    for t in outs:
        src = project.root / t.source_repo if t.source_repo is not None else None
        if src is None or not (src / ".dvc").is_dir():
            rest.append(t)
            continue
        key = str(src.resolve())
        if key not in stores:
            stores[key] = LocalRemote(Project(src.resolve()).cache.root)
        sourced.setdefault(stores[key], []).append((t.path, t.hi))
    return rest, sourced


def _run_cache_outs(index: Index, selection: Selection) -> list[Tracked]:
    """Outputs named by the run-cache entries that match the stages' current deps and params."""
    out: list[Tracked] = []
    chosen = set(selection.stages)
    for name in index.stage_order():
        if name not in chosen:
            continue
        sdef = index.stages[name]
        entry = run_cache_entry(index.project.workspace, sdef, index.locks.get(name))
        if entry is not None:
            out += stage_outs(sdef, entry, selection)
    return out


def fetch_restorable(index: Index, selection: Selection, remote: str | None = None,
                     jobs: int | None = None) -> SyncResult:
    """The objects that the run-cache entries matching the selected stages' deps and params
    name, fetched (``repro --pull``: DVC's ``stage_cache.restore(pull=True)``)."""
    return fetch(index, Selection(), remote, jobs, more=_run_cache_outs(index, selection))


def pull(index: Index, selection: Selection, remote: str | None = None,
         jobs: int | None = None, run_cache: bool = False, force: bool = False,
         progress: Progress | None = None, opener: Opener = open_remote,
         scope: SyncScope | None = None, more: Sequence[Tracked] = ()) -> SyncResult:
    """``fetch`` then check the outputs out; outputs whose objects did not arrive are reported
    (with ``scope.allow_missing`` left as they are, as DVC's ``--allow-missing``)."""
    fetched = fetch(index, selection, remote, jobs, run_cache, progress, opener, more)
    changes, failures, counts = checkout(index, selection, force)
    allow = scope is not None and scope.allow_missing
    if allow:
        missing = tuple(f"'{name}'" for name, _ in fetched.result.missing)
        failures = [f for f in failures if not f.startswith(missing)]
    return SyncResult(fetched.result, fetched.runs, tuple(changes), tuple(failures), counts,
                      allow)


def cloud_status(index: Index, selection: Selection, remote: str | None = None,
                 jobs: int | None = None,
                 opener: Opener = open_remote) -> tuple[str, dict[str, str]]:
    """``status -c``: the remote's name and ``{name: new|deleted|missing}`` for used objects."""
    project = index.project
    merged: dict[str, str] = {}
    shown = remote or project.config.core_remote or ""
    for name, items in groups(project, tracked(index, selection), remote, True).items():
        shown, rem = open_named(project, name or None, opener)
        merged.update(transfer.status(project.cache, rem, items, jobs))
    if not merged and not shown:
        shown, _ = open_named(project, remote, opener)
    return shown, merged


def run(session: Session, verb: str, targets: Sequence[str], remote: str | None = None,
        jobs: int | None = None, run_cache: bool = False, force: bool = False,
        progress: Progress | None = None, cwd: Path | None = None,
        opener: Opener = open_remote, scope: SyncScope | None = None) -> SyncResult:
    """Run ``push``, ``fetch`` or ``pull`` of ``targets`` (as typed) under ``.dvc/tmp/lock``,
    widened by ``scope`` (``--glob``, ``-R``, ``--with-deps``, other revisions)."""
    wide = scope or SyncScope()
    here = cwd or Path.cwd()
    with session.project.lock():
        index = session.index
        sel = wide.select(index, targets, here)
        more = revision_tracked(index.project, wide.commits, targets, here) \
            if wide.commits else []
        if verb == "pull":
            return pull(index, sel, remote, jobs, run_cache, force, progress, opener, wide,
                        more)
        if verb == "push":
            return push(index, sel, remote, jobs, run_cache, progress, opener, more)
        if verb == "fetch":
            return fetch(index, sel, remote, jobs, run_cache, progress, opener, more)
    msg = f"unknown transfer verb {verb!r}"
    raise ValueError(msg)
