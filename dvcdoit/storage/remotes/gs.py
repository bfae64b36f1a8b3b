"""Google Cloud Storage remotes through google-cloud-storage, the only modules importing it.

Requests per object are kept near one: existence is checked by listing the objects' parent
prefix (one ``objects.list`` page covers up to 1,000 names) unless there are only a few to
check; an upload is one request (a multipart upload, or a resumable one of two requests for
files over the SDK's 8 MiB limit) and a download one streamed GET. GCS names an object only
when its upload completes, so there are no temp names. Uploads carry the md5 the caller
expects, which the file was hashed against first (:func:`~.gate.content_md5`) and which the
server checks again; downloads are hashed on the way, and that md5 is compared with the one
the server sends (``x-goog-hash``) as well as returned to the caller, who checks it against
the object's name. 429, 5xx, connection resets and short bodies are retried here with
jittered exponential back-off; the SDK's own retries are off, so they cannot stack.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import os
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from google.api_core import exceptions as api
from google.auth import exceptions as auth
from google.cloud.storage import exceptions as media  # type: ignore[import-untyped]
from requests import exceptions as http
from urllib3.exceptions import NewConnectionError

from dvcdoit.core.errors import RemoteError
from dvcdoit.formats.config import RemoteConfig
from dvcdoit.storage.remotes import RemoteObjectMissing, check_deletable
from dvcdoit.storage.remotes.gate import content_md5, refusal
from dvcdoit.storage.remotes.gsclient import client_for
from dvcdoit.storage.remotes.prefixes import exists_by_listing

HEAD_BATCH_LIMIT = 2  # NOTE: a prefix with more objects to check than this is listed instead
PAGE_SIZE = 1000  # NOTE: the most GCS returns per objects.list page
MAX_ATTEMPTS = 6
_RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
_NETWORK = (http.ConnectionError, http.ChunkedEncodingError, http.Timeout, ConnectionError,
            TimeoutError)
_GOOGLE = (api.GoogleAPICallError, media.InvalidResponse, auth.GoogleAuthError, *_NETWORK)
T = TypeVar("T")


class WrongBytes(Exception):  # noqa: N818 - reads as a fact
    """The bytes received do not hash to the md5 the server sent with them."""


def _status(exc: BaseException) -> int | None:
    if isinstance(exc, api.GoogleAPICallError):
        return exc.code
    if isinstance(exc, media.InvalidResponse):
        return int(getattr(exc.response, "status_code", 0)) or None
    return None


def _unreachable(exc: BaseException) -> str | None:
    """``scheme://host:port`` when ``exc`` is a failure to connect at all (no host, refused)."""
    if not isinstance(exc, http.ConnectionError):
        return None
    reason = getattr(exc.args[0] if exc.args else None, "reason", None)
    if not isinstance(reason, NewConnectionError):
        return None
    pool = reason.conn
    scheme = "https" if type(pool).__name__.startswith("HTTPS") else "http"
    return f"{scheme}://{pool.host}:{pool.port}"


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, WrongBytes | media.DataCorruption):
        return True
    if isinstance(exc, _NETWORK):
        return _unreachable(exc) is None
    if isinstance(exc, auth.TransportError):
        return True
    return _status(exc) in _RETRY_STATUS


class _HashingSink:
    """A write-only file for the SDK's download: writes to ``f`` and hashes what it writes."""

    def __init__(self, f: BinaryIO) -> None:
        self.f = f
        self.md5 = hashlib.md5()

    def write(self, data: bytes) -> int:
        self.md5.update(data)
        return self.f.write(data)


class GSRemote:
    """Objects under ``gs://bucket/prefix``; thread-safe (one ``storage.Client`` for all threads)."""

    forkable = False

    def __init__(self, bucket: str, prefix: str, client: Any, *, jobs: int | None = None,
                 url: str = "", name: str = "") -> None:
        self.name = name
        self.bucket_name = bucket
        self.prefix = prefix.strip("/")
        self.client = client
        self.jobs = jobs
        self.url = url or f"gs://{bucket}/{self.prefix}".rstrip("/")
        self._bucket = client.bucket(bucket)
        self._lock = threading.Lock()
        self._bucket_there = False  # NOTE: set once a request proved the bucket exists

    @classmethod
    def from_config(cls, cfg: RemoteConfig) -> GSRemote:
        """Build the client from ``cfg``'s options (:func:`~.gsclient.client_for`)."""
        bucket, prefix, client = client_for(cfg)
        return cls(bucket, prefix, client, jobs=cfg.jobs, url=cfg.url.rstrip("/"), name=cfg.name)

    def __repr__(self) -> str:
        return f"GSRemote({self.url!r})"

    def _key(self, relpath: str) -> str:
        return f"{self.prefix}/{relpath}" if self.prefix else relpath

    # -- errors and retries --------------------------------------------------------------
    def _detail(self, exc: BaseException) -> str:
        """What went wrong, in a few words, and where known the fix; never a credential."""
        where = _unreachable(exc)
        if where is not None:
            return f"cannot connect to {where}; check the remote's endpointurl and that the server is up"
        if isinstance(exc, auth.RefreshError):
            return "cannot get an access token; check the remote's credentials (credentialpath)"
        if isinstance(exc, WrongBytes | media.DataCorruption):
            return f"the server sent wrong bytes ({exc})"
        status = _status(exc)
        if status in (401, 403):
            return (f"permission denied ({status}); check the remote's credentials and that "
                    "they may use this bucket")
        if status == 404:
            return f"bucket '{self.bucket_name}' does not exist"
        if status == 400 and "MD5" in str(exc):
            return "the server refused the bytes: they do not hash to the md5 sent (changed while uploading?)"
        if status is not None:
            return f"HTTP {status} ({type(exc).__name__})"
        return type(exc).__name__

    def _fail(self, action: str, relpath: str, exc: BaseException) -> RemoteError:
        return RemoteError(f"remote {self.url}: {action} {relpath} failed: {self._detail(exc)}")

    @contextlib.contextmanager
    def _errors(self, action: str, relpath: str) -> Iterator[None]:
        """Any SDK, auth or HTTP error escaping the block becomes one :class:`RemoteError`."""
        try:
            yield
        except (*_GOOGLE, WrongBytes) as exc:
            err = self._fail(action, relpath, exc)
            raise err from None

    def _retry(self, fn: Callable[[], T]) -> T:
        """Run ``fn``, again on transient errors, up to :data:`MAX_ATTEMPTS` times in all."""
        for attempt in range(MAX_ATTEMPTS):
            try:
                return fn()
            except (*_GOOGLE, WrongBytes) as exc:
                if attempt == MAX_ATTEMPTS - 1 or not _transient(exc):
                    raise
                time.sleep(min(5.0, 0.1 * 2**attempt) * random.uniform(0.5, 1.0))
        msg = "unreachable"
        raise AssertionError(msg)  # pragma: no cover

    def _seen_bucket(self) -> None:
        with self._lock:
            self._bucket_there = True

    def _bucket_exists(self) -> bool:
        """True once the bucket was seen; else one request (after a 404 on a download)."""
        with self._lock:
            if self._bucket_there:
                return True
        if self._retry(lambda: self._bucket.exists(retry=None)):
            self._seen_bucket()
            return True
        return False

    # -- listing -------------------------------------------------------------------------
    def _list(self, prefix: str, max_pages: int | None = None,
              delimiter: str | None = None) -> tuple[list[str], bool]:
        """Names below ``prefix`` (a relpath prefix) as sorted relpaths, and whether the listing
        is complete (it stops after ``max_pages`` pages of up to :data:`PAGE_SIZE` names)."""
        base = self._key(prefix)
        strip = len(self._key(""))
        out: list[str] = []
        token: str | None = None
        pages = 0
        while True:
            def page(token: str | None = token) -> tuple[list[str], str | None]:
                it = self.client.list_blobs(
                    self._bucket, prefix=base, delimiter=delimiter, page_size=PAGE_SIZE,
                    page_token=token, fields="items(name),nextPageToken,prefixes", retry=None)
                names = [blob.name[strip:] for blob in next(it.pages)]
                return names, it.next_page_token

            with self._errors("list", prefix):
                names, token = self._retry(page)
            self._seen_bucket()
            pages += 1
            out.extend(names)
            if not token:
                return sorted(out), True
            if max_pages is not None and pages >= max_pages:
                return sorted(out), False

    def _head(self, relpath: str) -> bool:
        blob = self._bucket.blob(self._key(relpath))
        with self._errors("check", relpath):
            return bool(self._retry(lambda: blob.exists(retry=None)))

    def exists_many(self, relpaths: Iterable[str]) -> set[str]:
        """Present relpaths, found with as few requests as the remote's size allows.

        Up to ``HEAD_BATCH_LIMIT`` objects: one metadata GET each. More: list the objects'
        common prefix (e.g. ``files/md5/``) page by page — a small or empty remote answers in
        one request — within a budget of half as many pages as there are parent prefixes;
        the prefixes the budget did not reach are then listed (``prefix=files/md5/ab/``,
        ``delimiter=/``), or checked one by one when they hold at most ``HEAD_BATCH_LIMIT``
        of the objects, in parallel. Names come back sorted, so every relpath up to the last
        name seen is settled by the partial listing.
        """
        return exists_by_listing(
            set(relpaths), self._head, self._list, self.jobs, HEAD_BATCH_LIMIT,
            lambda prefix, pages: self._list(prefix, pages, delimiter="/"))

    def walk(self, prefix: str) -> list[str]:
        """Every object below ``prefix`` (e.g. ``runs/``), sorted."""
        return self._list(prefix)[0]

    def delete(self, relpaths: Sequence[str]) -> None:
        """Object relpaths only (validated first), one DELETE each, in order; a 404 is fine."""
        check_deletable(self.url, relpaths)
        for rel in relpaths:
            blob = self._bucket.blob(self._key(rel))

            def drop(blob: Any = blob) -> None:
                with contextlib.suppress(api.NotFound):
                    blob.delete(retry=None)

            with self._errors("delete", rel):
                self._retry(drop)

    # -- data ------------------------------------------------------------------------------
    def upload(self, local_path: Path, relpath: str, md5: str | None = None) -> None:
        """One upload request (two over 8 MiB); with ``md5``, the file is hashed first and
        refused unless it matches, and the server is sent that md5 to check the bytes against."""
        refuse = functools.partial(refusal, self.url, relpath, md5=md5 or "")

        def put() -> None:
            blob = self._bucket.blob(self._key(relpath))
            with open(local_path, "rb") as f:
                if md5 is not None:
                    blob.md5_hash = content_md5(f, md5, refuse)
                blob.upload_from_file(f, size=os.fstat(f.fileno()).st_size, retry=None,
                                      checksum=None)

        with self._errors("upload", relpath):
            self._retry(put)
        self._seen_bucket()

    def download(self, relpath: str, dest: Path) -> str:
        """One streamed GET to ``dest``, hashed on the way; the md5 is checked against the
        server's ``x-goog-hash`` (a mismatch is retried: the bytes broke in transit) and
        returned, so the caller checks it against the object's name too."""
        blob = self._bucket.blob(self._key(relpath))

        def get() -> str:
            with open(dest, "wb") as f:
                sink = _HashingSink(f)
                blob.download_to_file(sink, checksum=None, retry=None)
            digest = sink.md5.digest()
            said = blob.md5_hash
            if said and base64.b64decode(said) != digest:
                msg = f"they hash to {digest.hex()}, the server says {base64.b64decode(said).hex()}"
                raise WrongBytes(msg)
            return digest.hex()

        try:
            md5 = self._retry(get)
        except api.NotFound:
            with contextlib.suppress(OSError):
                dest.unlink()
            with self._errors("download", relpath):
                there = self._bucket_exists()
            if not there:
                msg = f"remote {self.url}: download {relpath} failed: bucket '{self.bucket_name}' does not exist"
                raise RemoteError(msg) from None
            msg = f"remote {self.url}: {relpath} does not exist"
            raise RemoteObjectMissing(msg) from None
        except (*_GOOGLE, WrongBytes) as exc:
            with contextlib.suppress(OSError):
                dest.unlink()
            err = self._fail("download", relpath, exc)
            raise err from None
        self._seen_bucket()
        return md5


__all__ = ["GSRemote"]
