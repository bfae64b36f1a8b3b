"""SSH remotes over SFTP with asyncssh (imported only here and in the ``ssh*`` siblings).

asyncssh rather than paramiko: its SFTP client keeps many requests in flight on one channel
(paramiko waits for each), which is what moving many small objects needs, and DVC's own
sshfs uses it, so both talk to a server the same way. It is asynchronous: the remote runs
one event loop on a thread of its own (:mod:`.sshloop`), one connection with a few SFTP
channels (:mod:`.sshpool`), and the :class:`~dvcdoit.storage.remotes.Remote` methods called
from the transfer threads submit coroutines to it and wait.

Existence is one directory listing per ``files/md5/xx/`` parent (a stat each when a parent
has only one or two of the objects). An upload writes ``.dvcdoit-<pid>-<tag>.tmp`` in the
target directory, hashed on the way, and renames it into place only if the md5 matches. A
download is hashed as it lands. Transient faults (a dropped connection, an SFTP failure, a
timeout) are retried with jittered back-off on a fresh connection where needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import itertools
import os
import posixpath
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import asyncssh

from dvcdoit.core import tempname
from dvcdoit.core.errors import RemoteError
from dvcdoit.core.hashing import check_relpath
from dvcdoit.formats.config import RemoteConfig
from dvcdoit.storage.remotes import RemoteObjectMissing, check_deletable, sshio, sshretry
from dvcdoit.storage.remotes.gate import refusal
from dvcdoit.storage.remotes.sshconnect import SSHTarget, target_for
from dvcdoit.storage.remotes.sshloop import LoopThread
from dvcdoit.storage.remotes.sshpool import SFTPPool

STAT_LIMIT = 2  # NOTE: a parent with more objects to check than this is listed instead
LIST_PARENTS_FIRST = 8  # NOTE: more parents than this: list their common parent first
STALE_TEMP = 24 * 3600.0  # NOTE: a temp untouched this long belongs to a dead upload
_PARALLEL = 32
T = TypeVar("T")


def _is_temp(name: str) -> bool:
    """A temp name of an unfinished upload (ours, or DVC's ``.<token>.tmp``): never an object."""
    return name.startswith(".") and name.endswith(".tmp")


class SSHRemote:
    """Objects below a directory of an SSH server, through SFTP; thread-safe."""

    forkable = False

    def __init__(self, target: SSHTarget, jobs: int | None = None) -> None:
        self.target = target
        self.url = target.url
        self.jobs = jobs
        self.root = target.path.rstrip("/") or "/"
        self._pool = SFTPPool(target)
        self._loop = LoopThread("dvcdoit-ssh")
        self._posix_rename = True
        # NOTE: touched on the loop thread only: directories a listing found missing, and
        # the mkdirs under way (the uploads into one new directory share its mkdir)
        self._absent: set[str] = set()
        self._mkdirs: dict[str, asyncio.Future[None]] = {}
        self._tag = os.urandom(3).hex()
        self._seq = itertools.count()
        # NOTE: the finalizer holds the loop and the pool, never self: dropping the remote
        # closes the connection and ends the thread (so fanout may fork again afterwards)
        self._closer = weakref.finalize(self, self._loop.close, self._pool.close)

    @classmethod
    def from_config(cls, cfg: RemoteConfig) -> SSHRemote:
        """Parse the URL and options (:func:`~.sshconnect.target_for`); connect on first use."""
        return cls(target_for(cfg), jobs=cfg.jobs)

    def __repr__(self) -> str:
        return f"SSHRemote({self.url!r})"

    def close(self) -> None:
        """Close the connection and stop the loop thread (also done when the remote is dropped)."""
        self._closer()

    @property
    def connects(self) -> int:
        """Connections made so far (1 unless one dropped)."""
        return self._pool.connects

    def _abs(self, relpath: str) -> str:
        why = check_relpath(relpath)
        if why:
            msg = f"remote {self.url}: refusing {why}"
            raise RemoteError(msg)
        return f"{self.root}/{relpath}" if self.root != "/" else f"/{relpath}"

    async def _retry(self, action: str, relpath: str, op: Callable[[Any], Awaitable[T]]) -> T:
        return await sshretry.retry(self._pool, self.url, action, relpath, op)

    def _run(self, action: str, relpath: str, coro: Awaitable[T]) -> T:
        return sshretry.run(self._loop, self.url, action, relpath, coro)

    # -- existence and listing ---------------------------------------------------------
    def exists_many(self, relpaths: Iterable[str]) -> set[str]:
        """Present relpaths: one listing per parent directory (a stat each for a parent
        with at most ``STAT_LIMIT`` of them); all parents in parallel on the one connection.
        A temp left by a dead upload (untouched for a day) is removed on the way."""
        by_dir: dict[str, list[str]] = {}
        for rel in relpaths:
            by_dir.setdefault(posixpath.dirname(rel), []).append(rel)
        if not by_dir:
            return set()
        first = min(min(rs) for rs in by_dir.values())
        return self._run("check", first, self._exists(by_dir))

    async def _exists(self, by_dir: dict[str, list[str]]) -> set[str]:
        gate = asyncio.Semaphore(_PARALLEL)
        absent: set[str] = set()
        grand = {posixpath.dirname(p) for p in by_dir}
        if len(by_dir) > LIST_PARENTS_FIRST and len(grand) == 1:
            # NOTE: e.g. files/md5/: one listing says which of the 256 parents exist at all,
            # so a new or small remote costs one request instead of one per parent
            names = await self._listdir(grand.pop()) or set()
            absent = {p for p in by_dir if posixpath.basename(p) not in names}
            self._absent.update(self._abs(p) for p in absent)

        async def one(parent: str, rels: list[str]) -> set[str]:
            if parent in absent:
                return set()
            async with gate:
                if len(rels) <= STAT_LIMIT:
                    return {r for r in rels if await self._stat(r)}
                names = await self._listdir(parent)
                if names is None:
                    self._absent.add(self._abs(parent))
                    return set()
                return {r for r in rels if posixpath.basename(r) in names}

        found = await asyncio.gather(*(one(p, rs) for p, rs in by_dir.items()))
        return set().union(*found)

    async def _stat(self, relpath: str) -> bool:
        async def op(client: Any) -> bool:
            try:
                await client.stat(self._abs(relpath))
            except asyncssh.SFTPNoSuchFile as exc:
                exc.__traceback__ = None  # NOTE: see sshretry
                return False
            return True

        return await self._retry("check", relpath, op)

    async def _listdir(self, parent: str) -> set[str] | None:
        """Names in ``parent`` (a relpath), temps left out; None for a missing directory."""
        where = self._abs(parent) if parent else self.root

        async def op(client: Any) -> list[Any] | None:
            try:
                return list(await client.readdir(where))
            except asyncssh.SFTPNoSuchFile as exc:
                exc.__traceback__ = None  # NOTE: see sshretry
                return None

        entries = await self._retry("list", parent or "/", op)
        if entries is None:
            return None
        await self._sweep(where, entries)
        return {e.filename for e in entries if not tempname.is_ours(e.filename)}

    async def _makedirs(self, client: Any, path: str) -> None:
        """:func:`sshio.makedirs`, once per directory however many uploads wait for it."""
        task = self._mkdirs.get(path)
        if task is None:
            task = asyncio.ensure_future(sshio.makedirs(client, path, self._makedirs))
            self._mkdirs[path] = task

            def done(_: object, path: str = path) -> None:
                self._mkdirs.pop(path, None)
                self._absent.discard(path)

            task.add_done_callback(done)
        await task

    async def _sweep(self, where: str, entries: list[Any]) -> None:
        old = time.time() - STALE_TEMP
        for e in entries:
            if tempname.is_ours(e.filename) and (e.attrs.mtime or old) < old:
                client = await self._pool.client()
                try:
                    await client.remove(f"{where}/{e.filename}")
                except (asyncssh.SFTPError, OSError) as exc:
                    exc.__traceback__ = None  # NOTE: see sshretry
                    continue

    def walk(self, prefix: str) -> list[str]:
        """Every file below ``prefix`` (e.g. ``runs/``) as a relpath, sorted; temp names
        (``.*.tmp``, as :class:`~dvcdoit.storage.remotes.local.LocalRemote`) skipped."""
        return self._run("list", prefix, self._walk(prefix.strip("/")))

    async def _walk(self, prefix: str) -> list[str]:
        out: list[str] = []
        todo = [prefix]
        while todo:
            level, todo = todo, []

            async def one(rel: str) -> list[tuple[str, bool]]:
                where = self._abs(rel) if rel else self.root

                async def op(client: Any) -> list[Any]:
                    try:
                        return list(await client.readdir(where))
                    except asyncssh.SFTPNoSuchFile as exc:
                        exc.__traceback__ = None  # NOTE: see sshretry
                        return []

                return [(f"{rel}/{e.filename}".lstrip("/"), e.attrs.type == asyncssh.FILEXFER_TYPE_DIRECTORY)
                        for e in await self._retry("list", rel or "/", op)
                        if e.filename not in (".", "..") and not _is_temp(e.filename)]

            for entries in await asyncio.gather(*(one(r) for r in level)):
                for rel, is_dir in entries:
                    (todo if is_dir else out).append(rel)
        return sorted(out)

    def delete(self, relpaths: Sequence[str]) -> None:
        """Remove each object (object relpaths only, validated first); one already gone is fine."""
        check_deletable(self.url, relpaths)
        for rel in relpaths:  # NOTE: in order: gc deletes manifests before their members
            self._run("delete", rel, self._retry("delete", rel, functools.partial(self._remove, relpath=rel)))

    async def _remove(self, client: Any, relpath: str) -> None:
        try:
            await client.remove(self._abs(relpath))
        except asyncssh.SFTPNoSuchFile as exc:
            exc.__traceback__ = None  # NOTE: see sshretry
            return


    # -- data --------------------------------------------------------------------------
    def upload(self, local_path: Path, relpath: str, md5: str | None = None) -> None:
        """Write ``.dvcdoit-<pid>-<tag>.tmp`` beside ``relpath``, then rename it into place.

        A small file is read and hashed here first, so bytes that do not hash to ``md5``
        never leave this machine; a large one is hashed as it is written, and a temp that
        does not match is removed instead of renamed. Missing parent directories are made
        when the first ``open`` in them fails.
        """
        dest = self._abs(relpath)
        source: bytes | Path = local_path
        try:
            if os.stat(local_path).st_size < sshio.SMALL:
                source = local_path.read_bytes()
        except OSError as exc:
            msg = f"remote {self.url}: cannot upload {relpath}: {exc.strerror or exc}"
            raise RemoteError(msg) from None
        if isinstance(source, bytes) and md5 is not None:
            actual = hashlib.md5(source).hexdigest()
            if actual != md5:
                raise refusal(self.url, relpath, actual, md5)
            md5 = None  # NOTE: checked; these very bytes are what gets sent

        async def op(client: Any) -> None:
            await self._put(client, source, dest, relpath, md5)

        self._run("upload", relpath, self._retry("upload", relpath, op))

    async def _put(self, client: Any, source: bytes | Path, dest: str, relpath: str,
                   md5: str | None) -> None:
        parent = posixpath.dirname(dest)
        tmp = f"{parent}/{tempname.name(f'{self._tag}{next(self._seq):x}')}"
        try:
            if parent in self._absent:
                await self._makedirs(client, parent)
            try:
                actual = await sshio.write_temp(client, tmp, source)
            except asyncssh.SFTPNoSuchFile as exc:
                exc.__traceback__ = None  # NOTE: see sshretry
                await self._makedirs(client, parent)
                actual = await sshio.write_temp(client, tmp, source)
            if md5 is not None and actual != md5:
                raise refusal(self.url, relpath, actual or "", md5)
            await self._rename(client, tmp, dest)
        except BaseException:
            with contextlib.suppress(Exception):
                await asyncio.shield(client.remove(tmp))
            raise

    async def _rename(self, client: Any, tmp: str, dest: str) -> None:
        """``posix-rename`` (replaces ``dest``); plain SFTP rename where the server lacks it."""
        if self._posix_rename:
            try:
                await client.posix_rename(tmp, dest)
                return
            except asyncssh.SFTPOpUnsupported as exc:
                exc.__traceback__ = None  # NOTE: see sshretry
                self._posix_rename = False
        try:
            await client.rename(tmp, dest)
        except (asyncssh.SFTPFailure, asyncssh.SFTPFileAlreadyExists) as exc:
            exc.__traceback__ = None  # NOTE: see sshretry
            if not await client.exists(dest):
                raise
            await client.remove(tmp)  # NOTE: same name, same content: it is there already

    def download(self, relpath: str, dest: Path) -> str | None:
        """Fetch the object into ``dest`` and return the md5 of the bytes written there.

        Raises :class:`RemoteObjectMissing` when there is no such object.
        """
        path = self._abs(relpath)

        async def op(client: Any) -> bytes | str:
            return await sshio.read_object(client, path, dest)

        async def get() -> bytes | str:
            try:
                return await self._retry("download", relpath, op)
            except asyncssh.SFTPNoSuchFile as exc:
                exc.__traceback__ = None  # NOTE: see sshretry
                msg = f"remote {self.url}: {relpath} does not exist"
                raise RemoteObjectMissing(msg) from None

        got = self._run("download", relpath, get())
        if isinstance(got, str):
            return got
        try:
            with open(dest, "wb") as f:
                f.write(got)
        except OSError as exc:
            msg = f"remote {self.url}: cannot write {dest}: {exc.strerror or exc}"
            raise RemoteError(msg) from None
        return hashlib.md5(got).hexdigest()


__all__ = ["SSHRemote"]
