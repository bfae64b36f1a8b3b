"""Move objects between an :class:`~dvcdoit.storage.cache.ObjectCache` and a :class:`~dvcdoit.storage.remotes.Remote`.

``push``, ``fetch`` and ``status`` take ``(display_name, HashInfo)`` items (outputs of ``.dvc``
files and lock entries) and expand ``.dir`` objects into their members, named
``<out>/<relpath>``, one name per unique object. Safety rules, from DVC's contract (§12):

* push uploads a directory's files first and its ``.dir`` manifest only once every file is on
  the remote — so a ``.dir`` on the remote means "complete", and a push that finds the
  ``.dir`` there skips the directory with a single check;
* fetch downloads into a temp file in the cache, which :meth:`ObjectCache.add_verified`
  hashes before renaming it in; a corrupt remote object is reported, never entered;
* push hashes every object (``.dir`` manifests too) as the remote reads it, and the remote
  names it only if the bytes match (:meth:`Remote.upload`); a cache object that does not
  match its name is never uploaded: it is reported in ``TransferResult.corrupted``, moved
  aside (:mod:`dvcdoit.storage.quarantine`), and the push goes on with the others.
Per-object failures are returned as data (:class:`TransferResult`), never raised.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from dvcdoit.core import fanout
from dvcdoit.core.errors import DvcDoitError, ObjectCorruptError
from dvcdoit.core.hashing import DIR_SUFFIX, HashInfo, hash_file, object_relpath
from dvcdoit.core.progress import expect
from dvcdoit.core.timing import Timed
from dvcdoit.storage import runcache
from dvcdoit.storage.cache import ObjectCache
from dvcdoit.storage.quarantine import set_aside
from dvcdoit.storage.remotes import Remote, RemoteObjectMissing
from dvcdoit.storage.runcache import RunCache
from dvcdoit.storage.transferresult import Item, TransferResult

Progress = Callable[[int], None]
RUNS_NAME = "run-cache"
"""``HashInfo.name`` used for run-cache entries in results (value = the entry's name, ``runs/…``)."""


def default_jobs() -> int:
    """DVC's default parallelism for transfers: 4 × CPU count."""
    return 4 * (os.cpu_count() or 1)


def upload_jobs(remote: Remote, jobs: int | None) -> int | None:
    """Parallel uploads to ``remote``: ``jobs`` (``-j``), else the remote's ``jobs`` setting.

    NOTE: as DVC 3.67.1 (dvc_data/hashfile/transfer.py: ``jobs = jobs or dest.fs.jobs``, the
    destination's ``remote.NAME.jobs``): it applies where the remote is the destination, so to
    push; a fetch downloads into the cache and keeps the default (None: :func:`default_jobs`).
    """
    return jobs or remote.jobs


def _dedupe(items: Iterable[Item]) -> dict[HashInfo, str]:
    names: dict[HashInfo, str] = {}
    for name, hi in items:
        names.setdefault(hi, name)
    return names


def _members(cache: ObjectCache, dir_hi: HashInfo, out: str) -> dict[HashInfo, str]:
    return {HashInfo(dir_hi.name, e.md5): f"{out}/{e.relpath}" for e in cache.read_manifest(dir_hi)}


Outcome = tuple[str, str]
"""What became of one object: ``(kind, reason)``, kind ``ok``, ``fail``, ``lack``, ``skip`` or
``corrupt`` (then ``reason`` is the digest the object's bytes do have)."""
_OK: Outcome = ("ok", "")
_LACK: Outcome = ("lack", "")
_SKIP: Outcome = ("skip", "")


def _run(remote: Remote, jobs: int | None, fn: Callable[[HashInfo], Outcome],
         his: Iterable[HashInfo], led: _Ledger, what: str = "transferred") -> None:
    """:func:`_transfer`, timed for ``-v``: ``uploaded 12 objects (4 jobs) in 0.5 s``."""
    todo = list(his)
    if not todo:
        return
    workers = max(1, min(jobs or default_jobs(), len(todo)))
    with Timed("dvcdoit.transfer", f"{what} {len(todo)} object{'s' if len(todo) > 1 else ''} "
               f"({'forked' if remote.forkable else 'threads'}: {workers})"):
        _transfer(remote, jobs, fn, todo, led)


def _transfer(remote: Remote, jobs: int | None, fn: Callable[[HashInfo], Outcome],
              his: Iterable[HashInfo], led: _Ledger) -> None:
    """Apply ``fn`` to every object and record each outcome in ``led``.

    A forkable remote's transfers run in forked processes (:func:`fanout.fork_map`): local
    copies are syscall-bound, and threads only convoy on the GIL there. Network transfers
    run on ``jobs`` threads, handed out in chunks.

    NOTE: one future per object costs more in lock traffic than copying a small file
    (2.6 M futex calls for 20,000 objects), so threads take chunks of up to 32 objects.
    """
    todo = list(his)
    if not todo:
        return
    expect(led.progress, len(todo))
    workers = max(1, min(jobs or default_jobs(), len(todo)))
    if remote.forkable:
        outcomes = fanout.fork_map(fn, todo, led.progress, limit=workers)
        for hi, outcome in zip(todo, outcomes, strict=True):
            led.record(hi, outcome, counted=True)
        return
    if workers == 1:
        for hi in todo:
            led.record(hi, fn(hi))
        return
    size = max(1, min(32, len(todo) // (workers * 8)))

    def work(chunk: list[HashInfo]) -> None:
        for hi in chunk:
            led.record(hi, fn(hi))

    from concurrent.futures import ThreadPoolExecutor  # NOTE: start-up time of status

    with ThreadPoolExecutor(workers) as pool:
        for _ in pool.map(work, [todo[k:k + size] for k in range(0, len(todo), size)]):
            pass


class _Ledger:
    """Thread-safe-enough accumulation (list.append is atomic in CPython) of one transfer."""

    def __init__(self, names: dict[HashInfo, str], progress: Progress | None) -> None:
        self.names = names
        self.progress = progress
        self.done: list[Item] = []
        self.failed: list[tuple[str, HashInfo, str]] = []
        self.missing: list[Item] = []
        self.corrupt: list[tuple[HashInfo, str]] = []

    def record(self, hi: HashInfo, outcome: Outcome, counted: bool = False) -> None:
        """Keep ``outcome``; advance the progress by one unless the caller ``counted`` it."""
        kind, reason = outcome
        if kind == "ok":
            self.done.append((self.names[hi], hi))
        elif kind == "fail":
            self.failed.append((self.names[hi], hi, reason))
        elif kind == "lack":
            self.missing.append((self.names[hi], hi))
        elif kind == "corrupt":
            self.corrupt.append((hi, reason))
        if self.progress is not None and not counted:
            self.progress(1)

    def bad(self) -> set[HashInfo]:
        """The objects that did not make it: missing, failed or corrupt."""
        return ({hi for _, hi in self.missing} | {hi for _, hi, _ in self.failed}
                | {hi for hi, _ in self.corrupt})

    def result(self, cache: ObjectCache | None = None) -> TransferResult:
        """The outcome; corrupt objects are moved aside in ``cache`` here, in this process."""
        corrupted = tuple(set_aside(cache, hi, actual, self.names[hi])
                          for hi, actual in self.corrupt) if cache is not None else ()
        return TransferResult(tuple(self.done), tuple(self.failed), tuple(self.missing),
                              corrupted)


def _download(cache: ObjectCache, remote: Remote, hi: HashInfo) -> Outcome:
    """Download ``hi`` through a verified temp file into the cache."""
    tmp = cache.tmp_path()
    try:
        md5 = remote.download(object_relpath(hi), tmp)
    except RemoteObjectMissing:
        _discard(tmp)
        return _LACK
    except DvcDoitError as exc:
        _discard(tmp)
        return ("fail", str(exc))
    except BaseException:
        _discard(tmp)
        raise
    try:
        ok = cache.add_verified(tmp, hi, md5)  # NOTE: it renamed tmp into place, or removed it
    except BaseException:
        _discard(tmp)
        raise
    if not ok:
        return ("fail", f"corrupt on remote {remote.url}: content does not match {hi.value}")
    return _OK


def _discard(tmp: Path) -> None:
    with contextlib.suppress(OSError):
        tmp.unlink()


def fetch(cache: ObjectCache, remote: Remote, items: Sequence[Item], jobs: int | None = None,
          progress: Progress | None = None) -> TransferResult:
    """Download every object of ``items`` that the cache lacks (``.dir`` manifests first).

    Objects already in the cache are not requested; the remote is not listed at all — each
    missing object costs one GET, and a 404 makes it ``missing``.
    """
    names = _dedupe(items)
    led = _Ledger(names, progress)
    dirs = [hi for hi in names if hi.isdir]
    _run(remote, jobs, lambda hi: _SKIP if cache.has(hi) else _download(cache, remote, hi),
         dirs, led, "downloaded (manifests)")
    bad = led.bad()
    for hi in dirs:
        if hi not in bad:
            _expand_into(cache, hi, names, led)
    files = [hi for hi in names if not hi.isdir]
    present = cache.has_many(files)
    wanted = [hi for hi in files if hi not in present]
    _run(remote, jobs, lambda hi: _download(cache, remote, hi), wanted, led, "downloaded")
    return led.result(cache)


def _expand_into(cache: ObjectCache, dir_hi: HashInfo, names: dict[HashInfo, str],
                 led: _Ledger) -> list[HashInfo] | None:
    """Add a directory's members to ``names``; return them, or None (recorded as failed)."""
    try:
        members = _members(cache, dir_hi, names[dir_hi])
    except ObjectCorruptError as exc:
        led.record(dir_hi, ("corrupt", exc.actual))
        return None
    except DvcDoitError as exc:
        led.record(dir_hi, ("fail", str(exc)))
        return None
    for member, name in members.items():
        names.setdefault(member, name)
    return list(members)


def push(cache: ObjectCache, remote: Remote, items: Sequence[Item], jobs: int | None = None,
         progress: Progress | None = None) -> TransferResult:
    """Upload every object of ``items`` the remote lacks; each ``.dir`` only after all its files.

    Existence is checked in two batched rounds: first the top-level objects (a ``.dir``
    already on the remote means the whole directory is there), then the members of the
    directories that are not. Without ``jobs``, the remote's own ``jobs`` (see
    :func:`upload_jobs`) sets how many uploads run at once.
    """
    jobs = upload_jobs(remote, jobs)
    _begin_push(cache, remote)
    names = _dedupe(items)
    led = _Ledger(names, progress)
    on_remote = _exists(remote, names)
    dir_members: dict[HashInfo, list[HashInfo]] = {}
    for hi in [h for h in names if h.isdir and h not in on_remote]:
        if not cache.has(hi):
            led.record(hi, _LACK)
            continue
        members = _expand_into(cache, hi, names, led)
        if members is not None:
            dir_members[hi] = members
    todo = [hi for hi in names if not hi.isdir and hi not in on_remote]
    on_remote |= _exists(remote, todo)
    todo = [hi for hi in todo if hi not in on_remote]
    _run(remote, jobs, lambda hi: _upload(cache, remote, hi), todo, led, "uploaded")
    bad = led.bad()
    complete = [d for d, ms in dir_members.items() if not any(m in bad for m in ms)]
    for d in dir_members:
        if d not in complete:
            led.record(d, ("fail", "not uploaded because some of its files are missing or failed"))
    _run(remote, jobs, lambda hi: _upload(cache, remote, hi), complete, led,
         "uploaded (manifests)")
    return led.result(cache)


def _begin_push(cache: ObjectCache, remote: Remote) -> None:
    """Let the remote clean up after killed pushes (optional ``begin_push``); best effort."""
    begin = getattr(remote, "begin_push", None)
    if begin is not None:
        with contextlib.suppress(DvcDoitError):
            begin(cache.tmp_dir())


def _exists(remote: Remote, his: Iterable[HashInfo]) -> set[HashInfo]:
    by_rel = {object_relpath(hi): hi for hi in his}
    if not by_rel:
        return set()
    with Timed("dvcdoit.transfer", "checked objects on the remote") as timed:
        found = {by_rel[rel] for rel in remote.exists_many(by_rel)}
        timed.what = f"checked {len(by_rel)} object(s) on the remote ({len(found)} there)"
    return found


def _upload(cache: ObjectCache, remote: Remote, hi: HashInfo) -> Outcome:
    """Upload ``hi``, hashed as it is read: an object whose bytes do not match is ``corrupt``.

    The remote checks the md5 of the bytes it reads (:meth:`Remote.upload`). A ``.dir``
    object's name is the md5 of its bytes plus ``.dir``; a legacy ``md5-dos2unix`` file's is
    not an md5 of its bytes at all, so that one is hashed here first, then uploaded.
    """
    if not cache.has(hi):
        return _LACK
    path = cache.path_for(hi)
    md5 = hi.value.removesuffix(DIR_SUFFIX) if hi.isdir or not hi.legacy else None
    try:
        if md5 is None and (actual := hash_file(path, hi.name)) != hi.value:
            return ("corrupt", actual)
        remote.upload(path, object_relpath(hi), md5)
    except ObjectCorruptError as exc:
        return ("corrupt", exc.actual)
    except DvcDoitError as exc:
        return ("fail", str(exc))
    except OSError as exc:
        return ("fail", f"cannot read {path}: {exc.strerror or exc}")
    return _OK


def status(cache: ObjectCache, remote: Remote, items: Sequence[Item],
           jobs: int | None = None) -> dict[str, str]:
    """``status -c``: ``{name: "new" | "deleted" | "missing"}``, in-sync objects omitted.

    ``new``: only in the cache; ``deleted``: only on the remote; ``missing``: in neither.
    A ``.dir`` manifest missing locally is fetched (verified) first to learn its members,
    as DVC does.
    """
    names = _dedupe(items)
    scratch = _Ledger(dict(names), None)
    for hi in [h for h in names if h.isdir]:
        if not cache.has(hi):
            scratch.record(hi, _download(cache, remote, hi))
        with contextlib.suppress(DvcDoitError):
            for member, name in _members(cache, hi, names[hi]).items():
                names.setdefault(member, name)
    local = cache.has_many(names)
    on_remote = _exists(remote, names)
    out: dict[str, str] = {}
    for hi, name in names.items():
        here, there = hi in local, hi in on_remote
        if here != there:
            out[name] = "new" if here else "deleted"
        elif not here:
            out[name] = "missing"
    return out


def push_runs(cache: ObjectCache, remote: Remote, jobs: int | None = None,
              progress: Progress | None = None) -> TransferResult:
    """Upload the run-cache entries (:class:`~dvcdoit.storage.runcache.RunCache`) the remote lacks."""
    jobs = upload_jobs(remote, jobs)
    runs = RunCache(cache)
    there = set(remote.walk(runcache.PREFIX))
    todo = {HashInfo(RUNS_NAME, name): name for name in runs.names() if name not in there}
    led = _Ledger(todo, progress)

    def up(hi: HashInfo) -> Outcome:
        try:
            remote.upload(runs.path_of(hi.value), hi.value)
        except DvcDoitError as exc:
            return ("fail", str(exc))
        return _OK

    _run(remote, jobs, up, todo, led, "uploaded (run-cache entries)")
    return led.result()


def fetch_runs(cache: ObjectCache, remote: Remote, jobs: int | None = None,
               progress: Progress | None = None,
               verify: Callable[[Path, str, str], bool] | None = None) -> TransferResult:
    """Download run-cache entries the cache lacks; each lands via a temp file and a rename.

    Remote names that are not entry names (:func:`runcache.parse_name`) are ignored.
    ``verify(tmp, key, value)``, when given, must return True for the entry to be kept (e.g.
    recompute the value digest from the YAML); rejected entries are reported as failed.
    """
    runs = RunCache(cache)
    local = set(runs.names())
    todo: dict[HashInfo, str] = {}
    for name in remote.walk(runcache.PREFIX):
        if runcache.parse_name(name) is not None and name not in local:
            todo[HashInfo(RUNS_NAME, name)] = name
    led = _Ledger(todo, progress)

    def down(hi: HashInfo) -> Outcome:
        tmp = cache.tmp_path()
        try:
            remote.download(hi.value, tmp)
            key, value = runcache.parse_name(hi.value) or ("", "")
            if verify is not None and not verify(tmp, key, value):
                return ("fail", f"corrupt run-cache entry on remote {remote.url}")
            runs.place(tmp, hi.value)
        except DvcDoitError as exc:
            return ("fail", str(exc))
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
        return _OK

    _run(remote, jobs, down, todo, led, "downloaded (run-cache entries)")
    return led.result()


__all__ = ["RUNS_NAME", "Item", "TransferResult", "default_jobs", "fetch", "fetch_runs", "push",
           "push_runs", "status", "upload_jobs"]
