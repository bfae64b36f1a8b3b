"""The byte-moving coroutines of the SSH remote: write a temp file, read an object, make dirs.

Each takes an asyncssh SFTP client and runs on the remote's loop (:mod:`.sshloop`). Small
objects travel as one ``bytes`` between the calling thread and the loop (open, then one
write sent with the close; or open, then fstat + read + close); large ones move in :data:`CHUNK` pieces that asyncssh
splits into pipelined requests, with the local reads and writes (and the md5) on a worker
thread, overlapped with the network.
"""

from __future__ import annotations

import asyncio
import hashlib
import posixpath
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, BinaryIO

import asyncssh

CHUNK = 16 << 20
"""Bytes per piece of a large transfer (asyncssh pipelines each piece in read_len requests)."""
SMALL = 4 << 20
"""Objects below this travel whole in memory."""
FIRST_READ = 256 << 10
"""The first read of a download, sent with the fstat (OpenSSH serves up to 256 KiB a read)."""


async def makedirs(client: Any, path: str,
                   parent_maker: Callable[[Any, str], Awaitable[None]] | None = None) -> None:
    """Create directory ``path`` and its missing parents; one that exists (or appears) is fine.

    ``parent_maker(client, parent)`` makes a missing parent (default: this function), so a
    caller can share one ``mkdir`` among the uploads that all need the same directory.
    """
    try:
        await client.mkdir(path)
    except asyncssh.SFTPNoSuchFile as exc:
        exc.__traceback__ = None  # NOTE: see sshretry
        parent = posixpath.dirname(path)
        if parent in (path, "", "/", "."):
            raise
        await (parent_maker or makedirs)(client, parent)
        await makedirs(client, path)
    except (asyncssh.SFTPFailure, asyncssh.SFTPFileAlreadyExists) as exc:
        exc.__traceback__ = None  # NOTE: see sshretry
        if not await client.isdir(path):  # NOTE: SFTPv3 says only "failure" for "exists"
            raise


def _read_hash(f: BinaryIO, h: Any) -> bytes:
    chunk = f.read(CHUNK)
    h.update(chunk)
    return chunk


async def write_temp(client: Any, tmp: str, source: bytes | Path) -> str | None:
    """Create ``tmp`` with ``source``'s bytes (its parent must exist).

    ``bytes`` (already hashed by the caller: returns None) go as one write sent together with
    the close: open, then write + close, two round trips. A path is read, hashed and written
    piece by piece, the next piece read while this one is sent; returns the md5 written.

    NOTE: the SFTP spec has a server process requests on one file in the order received,
    and asyncio starts gather()'s tasks in order, so the close cannot overtake the write;
    an error in either still fails the upload (the rename is sent only after both answer).
    """
    if isinstance(source, bytes):
        f = await client.open(tmp, "wb", block_size=None)
        if source:
            await asyncio.gather(f.write(source, 0), f.close())
        else:
            await f.close()
        return None
    async with client.open(tmp, "wb") as remote:
        loop = asyncio.get_running_loop()
        h = hashlib.md5()
        writes: list[asyncio.Future[int]] = []
        try:
            with open(source, "rb") as local:  # noqa: ASYNC230 - one open; reads on a thread
                offset = 0
                while chunk := await loop.run_in_executor(None, _read_hash, local, h):
                    # NOTE: two pieces in flight, so the pipe does not drain between pieces
                    writes.append(asyncio.ensure_future(remote.write(chunk, offset)))
                    offset += len(chunk)
                    if len(writes) == 2:
                        await writes.pop(0)
            await asyncio.gather(*writes)
        finally:
            for w in writes:
                w.cancel()
            await asyncio.gather(*writes, return_exceptions=True)
        return h.hexdigest()


def _write_hash(f: BinaryIO, h: Any, data: bytes) -> None:
    f.write(data)
    h.update(data)


async def _read_range(f: Any, offset: int, length: int, block: int) -> bytes:
    """``length`` bytes from ``offset``: one request per ``block``, up to 64 in flight; a
    short answer (allowed by SFTP) is followed by a read of the rest; EOF ends early."""
    gate = asyncio.Semaphore(64)

    async def one(start: int, size: int) -> bytes:
        async with gate:
            data = bytes(await f.read(size, start))
            while 0 < len(data) < size:
                more = bytes(await f.read(size - len(data), start + len(data)))
                if not more:
                    break
                data += more
            return data

    end = offset + length
    pieces = await asyncio.gather(*(one(o, min(block, end - o)) for o in range(offset, end, block)))
    return b"".join(pieces)


async def read_object(client: Any, path: str, dest: Path) -> bytes | str:
    """Read the file at ``path``: its bytes when it is small, else write it to ``dest``
    (hashed as it lands) and return the md5 of what was written.

    A small object costs open, then fstat + read + close (two round trips); the rest of a
    larger one is read in parallel ranges. ``asyncssh.SFTPNoSuchFile`` propagates for a
    missing file.
    """
    block = max(client.limits.max_read_len, 16 << 10)
    # NOTE: block_size=None: each read() is one request (the ranges are ours: _read_range).
    # The fstat, the first read and the close go out together (served in order, as in
    # write_temp), so a small object costs two round trips; a larger one is opened again.
    f = await client.open(path, "rb", block_size=None)
    attrs, first, _ = await asyncio.gather(f.stat(), f.read(min(FIRST_READ, block), 0), f.close())
    first = bytes(first)
    size = attrs.size or 0
    if len(first) >= size:
        return first
    async with client.open(path, "rb", block_size=None) as f:
        if size < SMALL:
            return first + await _read_range(f, len(first), size - len(first), block)
        loop = asyncio.get_running_loop()
        h = hashlib.md5()
        starts = list(range(len(first), size, CHUNK))
        reads: list[asyncio.Future[bytes]] = []
        try:
            with open(dest, "wb") as local:  # noqa: ASYNC230 - one open; writes on a thread
                pending = loop.run_in_executor(None, _write_hash, local, h, first)
                for k, start in enumerate(starts):
                    # NOTE: two pieces in flight, so the pipe does not drain between pieces
                    while len(reads) < 2 and k + len(reads) < len(starts):
                        at = starts[k + len(reads)]
                        reads.append(asyncio.ensure_future(
                            _read_range(f, at, min(CHUNK, size - at), block)))
                    chunk = await reads.pop(0)
                    await pending
                    pending = loop.run_in_executor(None, _write_hash, local, h, chunk)
                    if len(chunk) < min(CHUNK, size - start):
                        break  # NOTE: the file ended early: the md5 will say so
                await pending
        finally:
            for r in reads:
                r.cancel()
            await asyncio.gather(*reads, return_exceptions=True)
        return h.hexdigest()


__all__ = ["CHUNK", "FIRST_READ", "SMALL", "makedirs", "read_object", "write_temp"]
