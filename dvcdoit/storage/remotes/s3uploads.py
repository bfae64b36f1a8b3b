"""Unfinished S3 multipart uploads: record ours while they run, abort the ones a killed push left.

A multipart upload that is never completed or aborted stays on the server (billed, invisible
to ``ListObjects``) until someone aborts it. A push that is SIGKILLed mid-upload cannot, so the
next push to the same remote does (:func:`abort_stale`), by this rule:

* only keys that are dvcdoit objects below the remote's prefix are considered
  (``files/md5/ab/cdef…[.dir]``, legacy ``ab/cdef…``, ``runs/…``); other uploads in the bucket
  are never touched;
* such an upload is aborted when it was initiated more than :data:`STALE_AGE` (24 h) ago:
  no push of ours runs that long on one object, from any machine (this listing is made at
  most once a day per prefix and cache, see :func:`abort_stale`);
* or when an upload ledger of **this host** says a process that is now dead (pid gone or
  reused, :func:`tempname.is_stale`) was uploading that key, and the upload was initiated no
  earlier than the ledger entry was written (less :data:`CLOCK_SKEW`).

A live push on another machine is therefore never aborted unless it uploads the very object
a dead local push was uploading, in the same window; that push then reports the object as
failed, and S3 completes uploads atomically, so no partial object is ever named.

The ledger: one small file per multipart upload in flight, ``<cache>/tmp/s3-uploads/`` named
by :mod:`~dvcdoit.core.tempname` (so it carries the pid), holding the host, bucket and key;
it is removed when the upload ends either way. This module imports no boto3: the S3 client is
passed in, and its errors are turned into :class:`RemoteError` by ``s3.py``.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import os
import re
import socket
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dvcdoit.core import tempname

STALE_AGE = 24 * 3600.0
CLOCK_SKEW = 300.0
_OBJECT = re.compile(r"(?:files/md5/)?[0-9a-f]{2}/[0-9a-f]{30}(?:\.dir)?|runs/[0-9a-f]{2}/.+")


@dataclass(frozen=True)
class Upload:
    """One unfinished multipart upload as listed: its key (below the prefix), id and start."""

    relpath: str
    upload_id: str
    initiated: float


class UploadLedger:
    """The local record of the multipart uploads this host has in flight to one bucket."""

    def __init__(self, directory: Path, bucket: str) -> None:
        self.directory = directory
        self.bucket = bucket
        self.host = socket.gethostname()

    @contextlib.contextmanager
    def recording(self, key: str) -> Iterator[None]:
        """Hold a ledger entry for the upload of ``key`` while the block runs."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / tempname.name()
        path.write_text(f"{self.host}\n{self.bucket}\n{key}\n", encoding="utf-8")
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                path.unlink()

    def _marker(self, prefix: str) -> Path:
        digest = hashlib.md5(f"{self.bucket}\0{prefix}".encode()).hexdigest()[:16]
        return self.directory / f"listed-{digest}"

    def listing_due(self, prefix: str, now: float) -> bool:
        """True when ``prefix`` was last listed for stale uploads over :data:`STALE_AGE` ago.

        Never listed from here: not due, but the clock starts now.
        """
        marker = self._marker(prefix)
        try:
            return now - marker.stat().st_mtime > STALE_AGE
        except FileNotFoundError:
            self.listed(prefix, now)
            return False

    def listed(self, prefix: str, now: float) -> None:
        """Remember that ``prefix`` was listed (and cleaned) at ``now``."""
        marker = self._marker(prefix)
        with contextlib.suppress(OSError):
            self.directory.mkdir(parents=True, exist_ok=True)
            marker.touch()
            os.utime(marker, (now, now))

    def stale(self) -> dict[Path, tuple[str, float]]:
        """The entries of dead local processes for this bucket: ``{ledger file: (key, ctime)}``."""
        out: dict[Path, tuple[str, float]] = {}
        try:
            names = os.listdir(self.directory)
        except OSError:
            return out
        for name in names:
            if not tempname.is_ours(name):
                continue
            path = self.directory / name
            try:
                ctime = path.stat().st_ctime
                host, bucket, key = path.read_text(encoding="utf-8").split("\n")[:3]
            except (OSError, ValueError, UnicodeDecodeError):
                continue
            if host == self.host and bucket == self.bucket and tempname.is_stale(path, ctime):
                out[path] = (key, ctime)
        return out


def _epoch(value: Any) -> float:
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    return 0.0  # NOTE: an upload with no start time is treated as very old


def list_uploads(client: Any, bucket: str, prefix: str) -> list[Upload]:
    """Every unfinished multipart upload below key ``prefix`` (paginated), keys relative to it."""
    out: list[Upload] = []
    kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    while True:
        resp = client.list_multipart_uploads(**kwargs)
        out.extend(Upload(u["Key"][len(prefix):], u["UploadId"], _epoch(u.get("Initiated")))
                   for u in resp.get("Uploads", ()))
        if not resp.get("IsTruncated"):
            return out
        kwargs["KeyMarker"] = resp.get("NextKeyMarker", "")
        kwargs["UploadIdMarker"] = resp.get("NextUploadIdMarker", "")


def to_abort(uploads: Iterable[Upload], ledgered: Mapping[str, float], now: float) -> list[Upload]:
    """The uploads the rule of this module aborts.

    ``ledgered`` maps the relpaths that dead local pushes were uploading to when their ledger
    entries were written; ``now`` is the current time (epoch seconds).
    """
    chosen = []
    for up in uploads:
        if _OBJECT.fullmatch(up.relpath) is None:
            continue
        since = ledgered.get(up.relpath)
        if now - up.initiated > STALE_AGE or (since is not None
                                               and up.initiated >= since - CLOCK_SKEW):
            chosen.append(up)
    return chosen


def abort_stale(client: Any, bucket: str, prefix: str, ledger: UploadLedger, now: float,
                gone: tuple[type[Exception], ...] = ()) -> int:
    """Abort the stale uploads below ``prefix`` (see the module); return how many.

    NOTE: the listing costs a request, so it is made only when there is a reason: a dead
    local push's ledger entry, or the last listing of this prefix from this cache is over
    :data:`STALE_AGE` old (the first push from a cache only starts that clock). An abort that
    raises one of ``gone`` (the client's error for an upload that another process completed
    or aborted meanwhile) is skipped. The ledger entries of dead processes are removed once
    their uploads were looked at.
    """
    stale = ledger.stale()
    if not ledger.listing_due(prefix, now) and not stale:
        return 0
    ledgered = {key[len(prefix):]: ctime for key, ctime in stale.values()
                if key.startswith(prefix)}
    doomed = to_abort(list_uploads(client, bucket, prefix), ledgered, now)
    aborted = 0
    for up in doomed:
        try:
            client.abort_multipart_upload(Bucket=bucket, Key=prefix + up.relpath,
                                          UploadId=up.upload_id)
            aborted += 1
        except gone:
            continue
    for path in stale:
        with contextlib.suppress(OSError):
            path.unlink()
    ledger.listed(prefix, now)
    return aborted
