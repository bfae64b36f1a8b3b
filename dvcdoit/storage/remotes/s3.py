"""S3 and S3-compatible remotes through boto3 — the only module that imports boto3/botocore.

Requests per object are kept near one: existence is checked by listing the object's parent
prefix (one ``ListObjectsV2`` page covers up to 1,000 objects) unless there are only a few
objects to check; small files move with a single ``PutObject``/``GetObject``; large files use
multipart transfers with parts in parallel. botocore's "standard" retry mode retries 5xx,
throttling and connection errors with jittered exponential back-off; a download whose body
breaks mid-stream is retried here. Credentials come from the config or boto3's standard chain
and are never put in messages.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import boto3
import botocore.config
import botocore.exceptions
import botocore.session
from boto3.s3.transfer import TransferConfig

from dvcdoit.core import fsutil
from dvcdoit.core.errors import RemoteError
from dvcdoit.formats.config import RemoteConfig
from dvcdoit.storage.remotes import RemoteObjectMissing, check_deletable
from dvcdoit.storage.remotes.gate import GateKeeper, Refuse, content_md5, refusal
from dvcdoit.storage.remotes.prefixes import exists_by_listing
from dvcdoit.storage.remotes.s3client import client_for, no_credentials
from dvcdoit.storage.remotes.s3uploads import UploadLedger, abort_stale

MULTIPART_THRESHOLD = 64 * 1024 * 1024
MULTIPART_CHUNK = 32 * 1024 * 1024
DOWNLOAD_PART = 64 * 1024 * 1024  # NOTE: ranged GETs of a large object (see _download_parts)
HEAD_BATCH_LIMIT = 2  # NOTE: a prefix with more objects to check than this is listed instead
_STREAM_CHUNK = 1024 * 1024
_RETRIES = 5
MAX_ATTEMPTS = 6  # NOTE: botocore "standard" mode: jittered exponential back-off, capped at 20 s
_TRANSIENT = (botocore.exceptions.ConnectionError, botocore.exceptions.ReadTimeoutError,
              botocore.exceptions.ResponseStreamingError, botocore.exceptions.IncompleteReadError,
              ConnectionError, TimeoutError)  # NOTE: a body cut short is IncompleteReadError
_UNREACHABLE = (botocore.exceptions.EndpointConnectionError,
                botocore.exceptions.ConnectTimeoutError)  # NOTE: botocore retried these already
_BOTO = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError,
         boto3.exceptions.Boto3Error, *_TRANSIENT)
_BAD_KEYS = ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken",
             "InvalidToken", "403")
T = TypeVar("T")


def _code(exc: botocore.exceptions.ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "")) or str(
        exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?"))


class S3Remote:
    """Objects under ``s3://bucket/prefix``; thread-safe (one boto3 client shared by all threads)."""

    forkable = False

    def __init__(self, bucket: str, prefix: str, client: Any, *, jobs: int | None = None,
                 extra_args: Mapping[str, str] | None = None, url: str = "",
                 name: str = "") -> None:
        self.name = name
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client
        self.jobs = jobs
        self.url = url or f"s3://{bucket}/{self.prefix}".rstrip("/")
        self.extra_args = dict(extra_args or {})
        self.ledger: UploadLedger | None = None  # NOTE: set by begin_push
        workers = max(4, jobs or 8)
        self.transfer_config = TransferConfig(
            multipart_threshold=MULTIPART_THRESHOLD, multipart_chunksize=MULTIPART_CHUNK,
            max_concurrency=workers, use_threads=True,
            preferred_transfer_client="classic")  # NOTE: the classic one emits the gate's hook
        self._gates = GateKeeper.for_s3(client)

    @classmethod
    def from_config(cls, cfg: RemoteConfig) -> S3Remote:
        """Build the client from ``cfg``'s options (:func:`~dvcdoit.storage.remotes.s3client.client_for`)."""
        bucket, prefix, client, extra = client_for(cfg, MAX_ATTEMPTS)
        return cls(bucket, prefix, client, jobs=cfg.jobs, extra_args=extra,
                   url=cfg.url.rstrip("/"), name=cfg.name)

    def _key(self, relpath: str) -> str:
        return f"{self.prefix}/{relpath}" if self.prefix else relpath

    def _fail(self, action: str, relpath: str, exc: Exception) -> RemoteError:
        """One line naming the remote, the object, what went wrong and, where known, the fix."""
        if isinstance(exc, botocore.exceptions.NoCredentialsError):
            return RemoteError(no_credentials(self.name or "NAME", self.url))
        if isinstance(exc, botocore.exceptions.ClientError):
            detail = _code(exc)
            if detail in _BAD_KEYS:
                detail += "; check the remote's credentials and that they may use this bucket"
        elif isinstance(exc, _UNREACHABLE):
            parts = urlsplit(str(exc.kwargs.get("endpoint_url", "")))
            detail = (f"cannot connect to {parts.scheme}://{parts.netloc}; "
                      "check the remote's endpointurl and that the server is up")
        elif isinstance(exc, botocore.exceptions.ReadTimeoutError):
            detail = "ReadTimeoutError; the server stopped answering (see read_timeout)"
        else:
            detail = type(exc).__name__
        return RemoteError(f"remote {self.url}: {action} {relpath} failed: {detail}")

    @contextlib.contextmanager
    def _errors(self, action: str, relpath: str) -> Iterator[None]:
        """Any botocore/boto3 error escaping the block becomes one :class:`RemoteError`."""
        try:
            yield
        except _BOTO as exc:
            err = self._fail(action, relpath, exc)
            raise err from None

    def _retry(self, fn: Callable[[], T], action: str, relpath: str) -> T:
        """Retry ``fn`` on transient errors that botocore does not retry (broken streams)."""
        for attempt in range(_RETRIES):
            try:
                return fn()
            except _TRANSIENT as exc:
                if attempt == _RETRIES - 1 or isinstance(exc, _UNREACHABLE):
                    err = self._fail(action, relpath, exc)
                    raise err from None
                time.sleep(min(5.0, 0.2 * 2**attempt) * random.uniform(0.5, 1.0))
        msg = "unreachable"
        raise AssertionError(msg)  # pragma: no cover

    # -- listing -------------------------------------------------------------------------
    def _list(self, prefix: str, max_pages: int | None = None) -> tuple[list[str], bool]:
        """Keys below ``prefix`` (a relpath prefix) as sorted relpaths, and whether the listing
        is complete (it stops after ``max_pages`` pages of up to 1,000 keys)."""
        base = self._key(prefix)
        strip = len(self._key(""))
        out: list[str] = []
        token: str | None = None
        pages = 0
        while True:
            kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": base}
            if token:
                kwargs["ContinuationToken"] = token
            try:
                resp = self.client.list_objects_v2(**kwargs)
            except (botocore.exceptions.ClientError, *_TRANSIENT) as exc:
                err = self._fail("list", prefix, exc)
                raise err from None
            pages += 1
            out.extend(obj["Key"][strip:] for obj in resp.get("Contents", ()))
            if not resp.get("IsTruncated"):
                return out, True
            if max_pages is not None and pages >= max_pages:
                return out, False
            token = resp.get("NextContinuationToken")

    def _head(self, relpath: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(relpath))
        except botocore.exceptions.ClientError as exc:
            if _code(exc) in ("404", "NoSuchKey", "NotFound"):
                return False
            err = self._fail("check", relpath, exc)
            raise err from None
        except _TRANSIENT as exc:
            err = self._fail("check", relpath, exc)
            raise err from None
        return True

    def exists_many(self, relpaths: Iterable[str]) -> set[str]:
        """Present relpaths, found with as few requests as the remote's size allows.

        Up to ``HEAD_BATCH_LIMIT`` objects: one HEAD each. More: list the objects' common
        prefix (e.g. ``files/md5/``) page by page — a small or empty remote answers in one
        request — within a budget of half as many pages as there are parent prefixes; the
        prefixes the budget did not reach are then listed (or HEADed when they hold at most
        ``HEAD_BATCH_LIMIT`` of the objects) in parallel. Keys come back sorted, so every
        relpath up to the last key seen is settled by the partial listing.
        """
        rels = set(relpaths)
        with self._errors("check", min(rels, default="")):
            return self._exists_many(rels)

    def _exists_many(self, rels: set[str]) -> set[str]:
        return exists_by_listing(rels, self._head, self._list, self.jobs, HEAD_BATCH_LIMIT)

    def _download_parts(self, relpath: str, dest: Path, size: int, body: Any,
                        sse: dict[str, str]) -> str:
        """Write a large object to ``dest``: its first part from ``body`` (the stream of the
        GET that found it large), the rest by ranged GETs on threads, each at its offset.

        This thread hashes the file in order as parts complete (they are in the page cache
        by then), so the md5 costs no extra pass. Parts are ``DOWNLOAD_PART`` bytes: few
        large ranges, because an S3 server may read the whole object for each (moto does:
        128 ranges of 8 MiB took 133 s for 1 GiB, 23 of ~48 MiB 27 s). A short part is a
        transient error and is retried.
        """
        key = self._key(relpath)
        nparts = -(-size // DOWNLOAD_PART)
        fd = os.open(dest, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)

        def write(data: bytes, offset: int) -> None:
            view = memoryview(data)
            while view:
                n = os.pwrite(fd, view, offset)
                view, offset = view[n:], offset + n

        def read_part(stream: Any, want: int, k: int) -> bytes:
            chunks, got = [], 0
            while got < want and (chunk := stream.read(min(want - got, _STREAM_CHUNK))):
                chunks.append(chunk)
                got += len(chunk)
            if got != want:
                msg = f"part {k}: {got} of {want} bytes"
                raise ConnectionError(msg)
            return b"".join(chunks)

        def part(k: int) -> None:
            start = k * DOWNLOAD_PART
            end = min(size, start + DOWNLOAD_PART) - 1

            def get() -> bytes:
                resp = self.client.get_object(Bucket=self.bucket, Key=key,
                                              Range=f"bytes={start}-{end}", **sse)
                with contextlib.closing(resp["Body"]) as stream:
                    return read_part(stream, end - start + 1, k)

            write(self._retry(get, "download", relpath), start)

        h = hashlib.md5()
        try:
            first = read_part(body, min(size, DOWNLOAD_PART), 0)
            body.close()  # NOTE: the rest comes by ranged GETs, in parallel
            write(first, 0)
            h.update(first)
            del first
            with ThreadPoolExecutor(max(4, self.jobs or 8)) as pool:
                futures = [pool.submit(part, k) for k in range(1, nparts)]
                try:
                    for k, future in enumerate(futures, start=1):
                        future.result()
                        start, end = k * DOWNLOAD_PART, min(size, (k + 1) * DOWNLOAD_PART)
                        if (pos := fsutil.hash_range(h, fd, start, end)) < end:
                            msg = f"part {k}: the file ended at {pos}"
                            raise ConnectionError(msg)
                finally:
                    for future in futures:
                        future.cancel()
        finally:
            os.close(fd)
        return h.hexdigest()

    def walk(self, prefix: str) -> list[str]:
        """Every object below ``prefix`` (e.g. ``runs/``), sorted."""
        with self._errors("list", prefix):
            return sorted(self._list(prefix)[0])

    def delete(self, relpaths: Sequence[str]) -> None:
        """Object relpaths only (validated first), 1,000 per ``DeleteObjects`` request, in order."""
        check_deletable(self.url, relpaths)
        for k in range(0, len(relpaths), 1000):
            keys = {"Objects": [{"Key": self._key(r)} for r in relpaths[k:k + 1000]], "Quiet": True}
            with self._errors("delete", relpaths[k]):
                errors = self.client.delete_objects(Bucket=self.bucket, Delete=keys).get("Errors")
            if errors:
                msg = f"remote {self.url}: delete {errors[0].get('Key')} failed: {errors[0].get('Code')}"
                raise RemoteError(msg)

    def begin_push(self, scratch: Path) -> int:
        """Abort what killed pushes left (:mod:`.s3uploads`); from now on, keep a ledger of
        this process's multipart uploads in ``scratch/s3-uploads``. Returns how many aborted."""
        self.ledger = UploadLedger(scratch / "s3-uploads", self.bucket)
        with self._errors("abort unfinished uploads below", self._key("") or "/"):
            return abort_stale(self.client, self.bucket, self._key(""), self.ledger, time.time(),
                               (botocore.exceptions.ClientError,))

    # -- data ------------------------------------------------------------------------------
    def upload(self, local_path: Path, relpath: str, md5: str | None = None) -> None:
        """One PutObject for small files, a parallel multipart upload for large ones (atomic in S3).

        With ``md5``, verified before S3 names the object (:mod:`~dvcdoit.storage.remotes.gate`).
        """
        key = self._key(relpath)
        with self._errors("upload", relpath):
            self._upload(local_path, relpath, key, md5)

    def _upload(self, local_path: Path, relpath: str, key: str, md5: str | None) -> None:
        refuse = functools.partial(refusal, self.url, relpath, md5=md5 or "")
        whole = functools.partial(self._retry, lambda: self.client.upload_file(
            str(local_path), self.bucket, key, ExtraArgs=self.extra_args or None,
            Config=self.transfer_config), "upload", relpath)
        try:
            if os.path.getsize(local_path) < MULTIPART_THRESHOLD:
                self._retry(lambda: self._put(local_path, key, md5, refuse), "upload", relpath)
            else:  # NOTE: multipart; the ledger lets the next push abort it if we are killed
                with self.ledger.recording(key) if self.ledger else contextlib.nullcontext():
                    if md5 is None:
                        whole()
                    else:
                        self._gates.run((self.bucket, key), local_path, md5, refuse, whole)
        except boto3.exceptions.S3UploadFailedError:
            msg = f"remote {self.url}: upload {relpath} failed"
            raise RemoteError(msg) from None

    def _put(self, local_path: Path, key: str, md5: str | None, refuse: Refuse) -> None:
        with open(local_path, "rb") as f:
            check = {"ContentMD5": content_md5(f, md5, refuse)} if md5 is not None else {}
            self.client.put_object(Bucket=self.bucket, Key=key, Body=f, **self.extra_args, **check)

    def download(self, relpath: str, dest: Path) -> str | None:
        """One GetObject streamed to ``dest``, or parallel ranged GETs for an object over the
        threshold; either way hashed on the way, and the md5 of what was written returned."""
        key = self._key(relpath)
        sse = {k: v for k, v in self.extra_args.items() if k.startswith("SSECustomer")}

        def get() -> str | None:
            resp = self.client.get_object(Bucket=self.bucket, Key=key, **sse)
            body = resp["Body"]
            with contextlib.closing(body):
                size = int(resp.get("ContentLength") or 0)
                if size >= MULTIPART_THRESHOLD:
                    return self._download_parts(relpath, dest, size, body, sse)
                h = hashlib.md5()
                with open(dest, "wb") as f:
                    while chunk := body.read(_STREAM_CHUNK):
                        f.write(chunk)
                        h.update(chunk)
                return h.hexdigest()

        with self._errors("download", relpath):
            try:
                return self._retry(get, "download", relpath)
            except botocore.exceptions.ClientError as exc:
                if _code(exc) in ("404", "NoSuchKey", "NotFound"):
                    msg = f"remote {self.url}: {relpath} does not exist"
                    raise RemoteObjectMissing(msg) from None
                raise
