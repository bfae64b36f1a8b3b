"""Hold an upload's completion until the md5 of the file being uploaded is known to match.

Used by backends whose large uploads are read in parts, by a library's threads, in any
order (S3 multipart): hashing those reads in order is not possible, so a second thread
hashes the file front to back while the upload runs (from the page cache, at md5's speed,
overlapped with the network), and the backend's last request, the one that gives the object
its name, waits at :meth:`UploadGate.check`.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Hashable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from dvcdoit.core.errors import ObjectCorruptError
from dvcdoit.core.hashing import md5_stream

Refuse = Callable[[str], Exception]
"""Builds the error for a file that hashes to the given digest instead of the expected one."""


def refusal(url: str, relpath: str, actual: str, md5: str) -> ObjectCorruptError:
    """The error of an upload refused because the file hashes to ``actual``, not ``md5``."""
    msg = f"remote {url}: refusing to upload {relpath}: its bytes hash to {actual}, not {md5}"
    return ObjectCorruptError(msg, actual)


def content_md5(f: BinaryIO, md5: str, refuse: Refuse) -> str:
    """Hash the rest of open file ``f``; raise ``refuse(actual)`` unless it is ``md5``.

    On a match ``f`` is rewound to where it was and the ``Content-MD5`` header value of
    ``md5`` is returned: a server that checks it (S3 does) refuses a body that changed
    after it was hashed, so a single put is verified end to end by one local read.
    """
    start = f.tell()
    actual = md5_stream(f)
    if actual != md5:
        raise refuse(actual)
    f.seek(start)
    return base64.b64encode(bytes.fromhex(md5)).decode()


class UploadGate:
    """The verdict on one file: :meth:`hash` runs on its own thread, :meth:`check` waits for it.

    For S3, a botocore hook on ``CompleteMultipartUpload`` (and on ``PutObject``, should
    s3transfer choose one) calls :meth:`check`: on a match the upload completes; otherwise
    the hook raises, s3transfer aborts the multipart upload, and no object of that name
    ever exists. ``corrupt(actual)`` builds the error raised on a mismatch.
    """

    def __init__(self, corrupt: Refuse, md5: str) -> None:
        self.md5 = md5
        self._corrupt = corrupt
        self._done = threading.Event()
        self._actual = ""
        self._error: Exception | None = None

    def hash(self, path: Path) -> None:
        """Hash ``path`` (run on its own thread) and open or shut the gate."""
        try:
            with open(path, "rb", buffering=0) as f:
                self._actual = md5_stream(f)
        except OSError as exc:
            self._error = exc
        finally:
            self._done.set()

    def check(self) -> None:
        """Wait for the hash; raise if the file could not be read or does not match."""
        self._done.wait()
        if self._error is not None:
            raise self._error
        if self._actual != self.md5:
            raise self._corrupt(self._actual)


class GateKeeper:
    """The gates of the uploads under way, by name (for S3, ``(bucket, key)``); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._gates: dict[Hashable, UploadGate] = {}

    @classmethod
    def for_s3(cls, client: Any) -> GateKeeper:
        """Gates keyed ``(bucket, key)``, enforced by hooks on ``client``'s naming requests.

        A botocore ``before-parameter-build`` hook runs before every
        ``CompleteMultipartUpload`` (and ``PutObject``, should s3transfer choose one); an
        exception raised there fails the request before it is sent, and s3transfer then
        aborts the multipart upload.
        """
        keeper = cls()

        def hook(params: Mapping[str, Any], **_: Any) -> None:
            keeper.hook((params.get("Bucket", ""), params.get("Key", "")))

        for op in ("CompleteMultipartUpload", "PutObject"):
            client.meta.events.register(f"before-parameter-build.s3.{op}", hook)
        return keeper

    def hook(self, name: Hashable) -> None:
        """Call before the request that names object ``name``: waits for, and enforces, its gate."""
        with self._lock:
            gate = self._gates.get(name)
        if gate is not None:
            gate.check()

    def run(self, name: Hashable, path: Path, md5: str, corrupt: Refuse,
            upload: Callable[[], None]) -> None:
        """Run ``upload()`` of ``path`` as ``name`` while a second thread hashes ``path``.

        Raises ``corrupt(actual)`` when the file does not hash to ``md5`` (the upload's
        naming request, which calls :meth:`hook`, then failed too).
        """
        gate = UploadGate(corrupt, md5)
        with self._lock:
            self._gates[name] = gate
        hasher = threading.Thread(target=gate.hash, args=(path,), name="dvcdoit-md5", daemon=True)
        hasher.start()
        try:
            upload()
        finally:
            hasher.join()
            with self._lock:
                del self._gates[name]
        gate.check()  # NOTE: upload() returned only if the gate opened; this is belt and braces
