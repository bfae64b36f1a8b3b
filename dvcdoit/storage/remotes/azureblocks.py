"""Large Azure blobs: staged-block uploads committed only after the md5 matched, and ranged
downloads on threads hashed in order as the ranges land.

The SDK's own ``upload_blob`` of a large file stages blocks and commits them in one call, so
nothing could stop the commit of a file that turned out not to hash to its name. Here the
file is read once, front to back, on the calling thread: each block is hashed in order and
then staged on a worker thread (with its own ``Content-MD5``, which the server checks), and
``Put Block List``, the request that makes the blob exist, is sent only if the whole file
hashed to ``md5``. Blocks left uncommitted are discarded by the service (within a week).
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

from azure.storage.blob import BlobBlock, BlobClient, ContentSettings, StorageStreamDownloader

from dvcdoit.core import fsutil

BLOCK_SIZE = 16 * 1024 * 1024  # NOTE: 50,000 blocks (the service's limit) make 781 GiB


def upload_blocks(blob: BlobClient, f: BinaryIO, md5: str | None,
                  refuse: Callable[[str], Exception], workers: int) -> None:
    """Upload open file ``f`` as blocks staged on ``workers`` threads, then commit them.

    At most ``workers`` blocks (plus the one being read) are in memory. With ``md5``, raise
    ``refuse(actual)`` instead of committing when the file does not hash to it (the blob is
    not created or changed). The committed blob carries the md5 as its ``Content-MD5`` property.
    """
    h = hashlib.md5()
    tag = uuid.uuid4().hex[:16]  # NOTE: block ids are per blob; a concurrent upload differs
    ids: list[BlobBlock] = []
    pending: deque[Future[Any]] = deque()
    with ThreadPoolExecutor(workers) as pool:
        try:
            while data := f.read(BLOCK_SIZE):
                h.update(data)
                block_id = base64.b64encode(f"{tag}{len(ids):08d}".encode()).decode()
                ids.append(BlobBlock(block_id=block_id))
                pending.append(pool.submit(blob.stage_block, block_id, data,
                                           length=len(data), validate_content=True))
                del data
                while len(pending) >= workers:
                    pending.popleft().result()
            while pending:
                pending.popleft().result()
        finally:
            for fut in pending:
                fut.cancel()
    actual = h.hexdigest()
    if md5 is not None and actual != md5:
        raise refuse(actual)
    settings = ContentSettings(content_md5=bytearray(bytes.fromhex(actual)))
    blob.commit_block_list(ids, content_settings=settings)


class _InOrderHasher:
    """A seekable file for the SDK's parallel ``readinto``: ranges are written where they
    belong, and hashed front to back as soon as the bytes before them are there (a range
    that arrives in order is hashed from memory, the others later from the page cache)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.pos = 0
        self.hashed = 0
        self.h = hashlib.md5()
        self._waiting: dict[int, int] = {}  # start -> end of ranges written past `hashed`
        self._lock = threading.Lock()

    def seekable(self) -> bool:
        """The SDK checks this before writing ranges in parallel."""
        return True

    def tell(self) -> int:
        """Where the next :meth:`write` goes."""
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move to ``offset`` (absolute; the SDK seeks only so)."""
        self.pos = offset
        return offset

    def write(self, data: bytes) -> int:
        """Write ``data`` at the position, then hash whatever became contiguous."""
        view, at = memoryview(data), self.pos
        while view:
            n = os.pwrite(self.fd, view, at)
            view, at = view[n:], at + n
        with self._lock:
            if self.pos == self.hashed:
                self.h.update(data)
                self.hashed += len(data)
            elif data:
                self._waiting[self.pos] = self.pos + len(data)
            while self.hashed in self._waiting:
                end = self._waiting.pop(self.hashed)
                self.hashed = fsutil.hash_range(self.h, self.fd, self.hashed, end)
        self.pos += len(data)
        return len(data)


def download_parallel(stream: StorageStreamDownloader[bytes], dest: Path) -> str:
    """Write the whole of ``stream`` (opened with ``max_concurrency`` > 1) to ``dest``; return
    its md5. Raises ``ConnectionError`` when what was written is not the blob's size."""
    fd = os.open(dest, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        out = _InOrderHasher(fd)
        stream.readinto(out)  # type: ignore[arg-type]
        if out.hashed != stream.size or out._waiting:
            msg = f"wrote {out.hashed} of {stream.size} bytes in order"
            raise ConnectionError(msg)
        return out.h.hexdigest()
    finally:
        os.close(fd)
