"""Data from a source (a local path or a URL) straight into the cache or onto a remote.

What ``add -o``, ``add --to-remote`` and ``import-url --to-remote`` do with their data, as
DVC 3.67.1's ``Output.transfer`` does: nothing is linked to the source and nothing is moved.
Each member is read through its source (:meth:`UrlSource.download` into a temp file, which
returns the md5 of the bytes written), or, for a local file whose md5 is known, uploaded from
where it is. Every object is verified against its md5 as the cache or the remote takes it
(:meth:`ObjectCache.add_verified`, :meth:`Remote.upload` with ``md5``), and a directory's
``.dir`` manifest goes last, only once all its files made it: a ``.dir`` on a remote still
means the directory is complete there. Per-object failures are returned as data.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dvcdoit.core import fsutil, tempname
from dvcdoit.core.errors import DvcDoitError, ObjectCorruptError
from dvcdoit.core.hashing import MD5, HashInfo, ManifestEntry, dir_hash, object_relpath
from dvcdoit.core.progress import expect
from dvcdoit.storage.cache import ObjectCache
from dvcdoit.storage.remotes import Remote
from dvcdoit.storage.remotes.urls import LocalUrl, UrlFile, UrlInfo, UrlSource, safe
from dvcdoit.storage.transfer import TransferResult, default_jobs, upload_jobs

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Intake:
    """What was taken in: the output's hash, total size, file count (directories), and the
    per-object outcome (``result.ok`` false: the output must not be recorded)."""

    hi: HashInfo
    size: int
    nfiles: int | None
    result: TransferResult


def _changed(src: UrlSource, item: UrlFile, md5: str) -> str:
    what = f"{item.relpath} of " if item.relpath else ""
    return (f"{what}{safe(src.shown)} was read with md5 {md5} where it hashed to {item.md5} "
            "before; it changed while read: try again")


class _Taker:
    """Moves the members of one source into one destination, in parallel, one outcome each."""

    def __init__(self, src: UrlSource, info: UrlInfo, jobs: int | None,
                 progress: Progress | None) -> None:
        self.src = src
        self.info = info
        self.jobs = jobs
        self.progress = progress
        self.md5s: dict[str, str] = {}
        self.done: list[tuple[str, HashInfo]] = []
        self.failed: list[tuple[str, HashInfo, str]] = []

    def name(self, item: UrlFile) -> str:
        """How results name a member: the source as shown, plus its relpath."""
        shown = safe(self.src.shown)
        return f"{shown}/{item.relpath}" if item.relpath else shown

    def run(self, one: Callable[[UrlFile], str | None]) -> None:
        """Apply ``one`` (returns the member's md5, or None when it failed) to every member."""
        todo = list(self.info.files)
        expect(self.progress, len(todo))
        workers = max(1, min(self.jobs or default_jobs(), len(todo)))

        def step(item: UrlFile) -> None:
            md5 = one(item)
            if md5 is not None:
                self.md5s[item.relpath] = md5
            if self.progress is not None:
                self.progress(1)

        if workers == 1:
            for item in todo:
                step(item)
            return
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(workers) as pool:
            for _ in pool.map(step, todo):
                pass

    def fail(self, item: UrlFile, reason: str) -> None:
        """Record that ``item`` did not make it."""
        self.failed.append((self.name(item), HashInfo(MD5, item.md5 or ""), reason))

    def intake(self, dir_hi: HashInfo | None) -> Intake:
        """The outcome; ``dir_hi`` is the directory's id (None for a file source)."""
        size = sum(f.size or 0 for f in self.info.files)
        if dir_hi is None:
            md5 = self.md5s.get("", self.info.files[0].md5 if self.info.files else "")
            hi, nfiles = HashInfo(MD5, md5 or ""), None
        else:
            hi, nfiles = dir_hi, len(self.info.files)
        return Intake(hi, size, nfiles, TransferResult(tuple(self.done), tuple(self.failed)))

    def entries(self) -> list[ManifestEntry]:
        """The directory's manifest from what was read (every member made it)."""
        return [ManifestEntry(rel, md5) for rel, md5 in sorted(self.md5s.items())]

    @property
    def complete(self) -> bool:
        """True when no member failed."""
        return not self.failed

    def took(self, item: UrlFile, md5: str) -> str:
        """Record that ``item`` made it, as object ``md5``; ``md5``."""
        self.done.append((self.name(item), HashInfo(MD5, md5)))
        return md5

    def finish(self, manifest: Callable[[], HashInfo]) -> Intake:
        """The outcome, a directory's ``manifest()`` made only when every member made it."""
        if not self.info.isdir or not self.complete:
            return self.intake(HashInfo(MD5, "") if self.info.isdir else None)
        return self.intake(manifest())


def to_cache(cache: ObjectCache, src: UrlSource, info: UrlInfo, jobs: int | None = None,
             progress: Progress | None = None) -> Intake:
    """Copy every member of ``src`` into ``cache`` through a verified temp file, then the
    directory's ``.dir`` manifest (``add -o``); the source is left as it is."""
    taker = _Taker(src, info, jobs, progress)

    def one(item: UrlFile) -> str | None:
        tmp = cache.tmp_path()
        try:
            md5 = src.download(item.relpath, tmp)
            if item.md5 is not None and md5 != item.md5:
                taker.fail(item, _changed(src, item, md5))
                return None
            if not cache.add_verified(tmp, HashInfo(MD5, md5), md5):
                taker.fail(item, f"cannot store {taker.name(item)} in the cache")
                return None
        except DvcDoitError as exc:
            taker.fail(item, str(exc))
            return None
        finally:
            _discard(tmp)
        return taker.took(item, md5)

    taker.run(one)
    return taker.finish(lambda: cache.add_manifest(taker.entries()))


def to_remote(remote: Remote, src: UrlSource, info: UrlInfo, tmp_dir: Path,
              jobs: int | None = None, progress: Progress | None = None) -> Intake:
    """Upload every member of ``src`` to ``remote``, then the ``.dir`` manifest, never
    touching the cache (``--to-remote``).

    A local file whose md5 the source knows is uploaded from where it is, hashed as the remote
    reads it; any other member is read into a temp file in ``tmp_dir`` first. Objects the
    remote has already are not sent again (one batched check).
    """
    jobs = upload_jobs(remote, jobs)
    taker = _Taker(src, info, jobs, progress)
    known = {object_relpath(HashInfo(MD5, f.md5)) for f in info.files if f.md5}
    there = remote.exists_many(known) if known else set()
    local = src.path if isinstance(src, LocalUrl) else None

    def one(item: UrlFile) -> str | None:
        if item.md5 is not None and object_relpath(HashInfo(MD5, item.md5)) in there:
            return item.md5
        tmp: Path | None = None
        try:
            if local is not None and item.md5 is not None:
                path, md5 = (local / item.relpath if item.relpath else local), item.md5
            else:
                tmp = _tmp(tmp_dir)
                path, md5 = tmp, src.download(item.relpath, tmp)
                if item.md5 is not None and md5 != item.md5:
                    taker.fail(item, _changed(src, item, md5))
                    return None
            remote.upload(path, object_relpath(HashInfo(MD5, md5)), md5)
        except ObjectCorruptError as exc:
            taker.fail(item, _changed(src, UrlFile(item.relpath, item.size, item.md5),
                                      exc.actual))
            return None
        except DvcDoitError as exc:
            taker.fail(item, str(exc))
            return None
        except OSError as exc:
            taker.fail(item, f"cannot read {taker.name(item)}: {exc.strerror or exc}")
            return None
        finally:
            if tmp is not None:
                _discard(tmp)
        return taker.took(item, md5)

    taker.run(one)
    return taker.finish(lambda: _upload_manifest(remote, taker, tmp_dir))


def _upload_manifest(remote: Remote, taker: _Taker, tmp_dir: Path) -> HashInfo:
    """Put the directory's ``.dir`` manifest on the remote (verified, like every object)."""
    oid, data = dir_hash(taker.entries())
    hi = HashInfo(MD5, oid)
    if remote.exists_many([object_relpath(hi)]):
        return hi
    tmp = _tmp(tmp_dir)
    try:
        fsutil.atomic_write(tmp, data)
        remote.upload(tmp, object_relpath(hi), oid.removesuffix(".dir"))
    except DvcDoitError as exc:
        taker.failed.append((safe(taker.src.shown), hi, str(exc)))
    else:
        taker.done.append((safe(taker.src.shown), hi))
    finally:
        _discard(tmp)
    return hi


def _tmp(tmp_dir: Path) -> Path:
    tmp_dir.mkdir(parents=True, exist_ok=True)
    return tmp_dir / tempname.name()


def _discard(tmp: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(tmp)


__all__ = ["Intake", "to_cache", "to_remote"]
