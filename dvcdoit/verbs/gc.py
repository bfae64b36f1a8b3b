"""``gc -w [-c]``: delete the objects that the current workspace does not use.

Kept: every object recorded by a data source (``.dvc``), a ``dvc.lock`` entry or a
single-stage ``.dvc`` file of the workspace, every member of every kept ``.dir`` manifest,
and every object named by a run-cache entry of a kept stage (the entries under the key of its
``dvc.lock`` entry, and the newest entry for its current deps: what ``repro`` would restore).
The whole view is built before anything is deleted; any file that cannot be read or parsed,
or a kept manifest that is missing or corrupt, refuses the whole gc. The repo lock is held
throughout. Deletion (:mod:`dvcdoit.storage.gc`) takes manifests first, then files; local
cache first, then the remote.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from dvcdoit.core.errors import CacheError, DvcDoitError, FormatError, ObjectMissingError
from dvcdoit.core.hashing import HashInfo
from dvcdoit.formats.lock import LockEntry
from dvcdoit.pipeline.index import Index
from dvcdoit.pipeline.session import Session
from dvcdoit.pipeline.stage import run_cache_entry
from dvcdoit.repo.revision import GitObjects, Revision
from dvcdoit.storage import gc as store
from dvcdoit.storage.cache import ObjectCache
from dvcdoit.storage.gc import Garbage
from dvcdoit.storage.remotes import OBJECT_DIR, Remote, open_remote
from dvcdoit.storage.runcache import RunCache, run_key
from dvcdoit.verbs import gcscope
from dvcdoit.verbs.cloud import Opener, open_named
from dvcdoit.verbs.locate import revision_outs
from dvcdoit.verbs.tracked import tracked

Progress = Callable[[int], None]


class GcError(DvcDoitError):
    """gc refused to run: its view of what is used would be incomplete."""


@dataclass(frozen=True)
class GcResult:
    """What gc removed (or, with ``dry``, would remove): per store, in deletion order."""

    cache_dir: Path
    """The local cache's object directory (``<cache>/files/md5``)."""
    local: Garbage
    remote: Garbage | None = None
    remote_dir: str = ""
    """The remote's object directory as DVC names it (``bucket/prefix/files/md5`` on S3)."""
    dry: bool = False
    warnings: tuple[str, ...] = ()
    """DVC's warnings (``Failed to collect '<sha>', skipping``), for the CLI to print."""


def used_objects(index: Index, commits: Sequence[str] = (), *, force: bool = False,
                 skip_failed: bool = False, warnings: list[str] | None = None) -> set[str]:
    """The oids the workspace (and the git ``commits``) use: outputs, the members of their
    ``.dir``s, the workspace's run-cache entries.

    Raises :class:`GcError` when a kept manifest is missing from the cache or corrupt (at a
    commit, unless ``force``: DVC then lets its files go), or when a commit's ``.dvc`` or
    ``dvc.lock`` files do not parse (unless ``skip_failed``: a warning, as DVC's).
    """
    used = _Used(index.project.cache)
    for t in tracked(index, index.select([])):
        used.keep(t.hi, t.path, strict=True)
    for entry in _run_entries(index):
        for item in entry.outs:
            if item.hash is not None:
                used.keep(item.hash, item.path, strict=False)
    objects = GitObjects(index.project.root)
    try:
        for sha in commits:
            try:
                outs = list(revision_outs(Revision(index.project.root, sha, objects, sha),
                                          strict=True))
            except DvcDoitError as exc:
                if not skip_failed:
                    msg = f"Failed to collect '{sha}': {exc}"  # NOTE: DVC's words
                    raise GcError(msg) from None
                (warnings if warnings is not None else []).append(
                    f"Failed to collect '{sha}', skipping")
                continue
            for found in outs:
                used.keep(found.hi, found.out, strict=not force, rev=sha)
    finally:
        objects.close()
    return used.oids


class _Used:
    """The used oids being gathered, and the manifests already expanded into them."""

    def __init__(self, cache: ObjectCache) -> None:
        self.cache = cache
        self.oids: set[str] = set()
        self.expanded: set[str] = set()

    def keep(self, hi: HashInfo, where: str, strict: bool, rev: str | None = None) -> None:
        """Add ``hi`` (and, for a ``.dir``, its members) to the used oids.

        ``strict``: a manifest that cannot be read refuses gc (a workspace output); otherwise
        (a run-cache entry, which is then not restorable anyway) only the manifest is kept.
        """
        self.oids.add(hi.value)
        if not hi.isdir or hi.value in self.expanded:
            return
        try:
            members = (store.manifest_oids(self.cache.root, hi.value) if not hi.legacy
                       else [e.md5 for e in self.cache.read_manifest(hi)])
        except ObjectMissingError:
            if not strict:
                return
            if rev is not None:
                msg = (f"gc: the manifest of directory '{where}' at revision {rev[:7]} "
                       f"({hi.value}) is not in the cache, so the files inside it cannot be "
                       "kept; pass -f to let them go, or leave that revision out of the scope")
                raise GcError(msg) from None
            msg = (f"gc: the manifest of directory '{where}' ({hi.value}) is not in the cache, "
                   f"so the files inside it cannot be kept; run 'dvcdoit fetch {where}' first")
            raise GcError(msg) from None
        except (CacheError, FormatError):
            if not strict:
                return
            msg = (f"gc: the manifest of directory '{where}' ({hi.value}) in the cache is "
                   f"corrupt; delete it and run 'dvcdoit fetch {where}' before gc")
            raise GcError(msg) from None
        self.expanded.add(hi.value)
        self.oids.update(members)


def _run_entries(index: Index) -> Iterable[LockEntry]:
    """The run-cache entries of the workspace's stages (see the module docstring)."""
    project = index.project
    runs = RunCache(project.cache)
    for name, stage in index.stages.items():
        lock = index.locks.get(name)
        if lock is not None:
            yield from runs.load_all(run_key(lock))
        newest = run_cache_entry(project.workspace, stage, lock)
        if newest is not None:
            yield newest


@dataclass(frozen=True)
class GcOptions:
    """What gc keeps and where it deletes (the command line's flags)."""

    scope: gcscope.Scope = field(default_factory=lambda: gcscope.Scope(workspace=True))
    projects: tuple[Path, ...] = ()
    """Other repos (``-p``) whose workspace and revisions are kept too."""
    cloud: bool = False
    remote: str | None = None
    not_in_remote: bool = False
    """Keep only used objects the remote lacks (``--not-in-remote``)."""
    force: bool = False
    skip_failed: bool = False
    dry: bool = False
    jobs: int | None = None


def collect(session: Session, options: GcOptions | None = None, opener: Opener = open_remote,
            progress: Progress | None = None) -> GcResult:
    """Run gc under the repo lock (and each ``-p`` repo's); with ``dry`` only report."""
    opts = options or GcOptions()
    project = session.project
    warnings: list[str] = []
    with ExitStack() as locks:
        others = [Session.find(path) for path in opts.projects]
        for other in others:
            locks.enter_context(other.project.lock())
        locks.enter_context(project.lock())
        used: set[str] = set()
        for each in [*others, session]:
            each.project.scan(strict=True)
            commits = gcscope.commits(each.project.root, opts.scope)
            used |= used_objects(each.reload(), commits, force=opts.force,
                                 skip_failed=opts.skip_failed, warnings=warnings)
        target: Remote | None = None
        if opts.cloud or opts.not_in_remote:
            _, target = open_named(project, opts.remote, opener)
        if opts.not_in_remote and target is not None:
            used -= _on_remote(target, used)
        cache_root = project.cache.root
        local = store.unused(store.list_cache(cache_root), used)
        remote_garbage: Garbage | None = None
        if opts.cloud and target is not None:
            remote_garbage = store.unused(store.list_remote(target), used)
        if not opts.dry:
            store.delete_cache(cache_root, local, opts.jobs, progress)
            if target is not None and remote_garbage is not None:
                store.delete_remote(target, remote_garbage)
    shown = target if opts.cloud else None
    where = f"{shown.url.split('://', 1)[-1]}/{OBJECT_DIR}" if shown else ""
    return GcResult(cache_root / OBJECT_DIR, local, remote_garbage, where, opts.dry,
                    tuple(warnings))


def _on_remote(remote: Remote, oids: set[str]) -> set[str]:
    """The ``oids`` the remote holds, in one batched existence check."""
    by_rel = {f"{OBJECT_DIR}/{oid[:2]}/{oid[2:]}": oid for oid in oids}
    return {by_rel[rel] for rel in remote.exists_many(by_rel)} if by_rel else set()
