"""Azure Blob Storage remotes (``azure://container/prefix``) through azure-storage-blob.

This module, :mod:`.azureclient` and :mod:`.azureblocks` are the only ones that import the
Azure SDK. Requests per object are kept near one: existence is checked by listing the
objects' common prefix (one ``List Blobs`` page covers 5,000 names) unless only a few objects
are asked about; a small file is one ``Put Blob`` whose ``Content-MD5`` the server checks,
after the file was hashed here; a blob appears whole when its ``Put Blob`` or
``Put Block List`` completes, so no temp name is needed. The SDK's retry policy (5xx, 408,
connection and read errors) uses a short jittered back-off (:mod:`.azureclient`); a download
whose body breaks mid-stream is retried here too. Credentials never reach a message.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    IncompleteReadError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.storage.blob import ContainerClient, ContentSettings

from dvcdoit.core.errors import ObjectCorruptError, RemoteError
from dvcdoit.formats.config import RemoteConfig
from dvcdoit.storage.remotes import RemoteObjectMissing, check_deletable
from dvcdoit.storage.remotes.azureblocks import download_parallel, upload_blocks
from dvcdoit.storage.remotes.azureclient import container_for
from dvcdoit.storage.remotes.gate import content_md5, refusal
from dvcdoit.storage.remotes.prefixes import exists_by_listing

BLOCK_THRESHOLD = 64 * 1024 * 1024  # NOTE: the SDK's max_single_put_size; above it, blocks
PARALLEL_GET = 64 * 1024 * 1024  # NOTE: objects this big come down as ranges on threads
HEAD_BATCH_LIMIT = 2  # NOTE: more objects than this under one prefix: list it instead
PAGE = 5000  # NOTE: the service's largest List Blobs page
_CHUNK = 1024 * 1024
_RETRIES = 4
_TRANSIENT = (ServiceResponseError, IncompleteReadError, ConnectionError, TimeoutError)
_BAD_KEYS = ("AuthenticationFailed", "AuthorizationFailure", "InvalidAuthenticationInfo", "403")
_DENIED = ("AuthorizationPermissionMismatch", "AuthorizationResourceTypeMismatch")
T = TypeVar("T")


def _code(exc: HttpResponseError) -> str:
    code = getattr(exc, "error_code", None)  # NOTE: set by the storage SDK's error handler
    return str(getattr(code, "value", code) or "") or str(exc.status_code or "?")


class AzureRemote:
    """Objects under ``azure://container/prefix``; thread-safe (one ``ContainerClient``
    shared by all threads, as the SDK allows: its clients are immutable once built)."""

    forkable = False

    def __init__(self, client: ContainerClient, prefix: str, *, jobs: int | None = None,
                 url: str = "", name: str = "", login: str = "") -> None:
        self.client = client
        self.container = client.container_name
        self.prefix = prefix.strip("/")
        self.jobs = jobs
        self.name = name
        self.login = login
        self.url = url or f"azure://{self.container}/{self.prefix}".rstrip("/")

    def __repr__(self) -> str:
        return f"AzureRemote({self.url!r}, login={self.login!r})"

    @classmethod
    def from_config(cls, cfg: RemoteConfig) -> AzureRemote:
        """Build the client from ``cfg``'s options (:func:`.azureclient.container_for`)."""
        jobs = cfg.jobs or 4 * (os.cpu_count() or 1)
        _, prefix, client, how = container_for(cfg, jobs)
        return cls(client, prefix, jobs=cfg.jobs, url=cfg.url.split("?")[0].rstrip("/"),
                   name=cfg.name, login=how.method)

    def _key(self, relpath: str) -> str:
        return f"{self.prefix}/{relpath}" if self.prefix else relpath

    # -- errors ----------------------------------------------------------------------------
    def _fail(self, action: str, relpath: str, exc: Exception) -> RemoteError:
        """One line naming the remote, the object, what went wrong and, where known, the fix."""
        if isinstance(exc, ResourceNotFoundError) and _code(exc) == "ContainerNotFound":
            detail = f"container '{self.container}' does not exist"
        elif isinstance(exc, HttpResponseError) and exc.status_code is not None:
            detail = _code(exc)
            if detail in _DENIED:
                detail += f"; the remote's credentials may not {action} here (permission denied)"
            elif detail in _BAD_KEYS or isinstance(exc, ClientAuthenticationError):
                detail += "; check the remote's credentials and that they may use this container"
            elif detail in ("Md5Mismatch", "InvalidOperation") and action == "upload":
                detail += "; the bytes that arrived do not hash to the Content-MD5 sent"
        elif isinstance(exc, ServiceRequestError):
            parts = urlsplit(self.client.url)  # NOTE: scheme and host only: a SAS is in the query
            detail = (f"cannot connect to {parts.scheme}://{parts.netloc}; check the remote's "
                      "account_name or connection_string and that the server is up")
        elif isinstance(exc, ClientAuthenticationError):  # NOTE: a token credential that failed
            detail = f"{self.login} failed: {str(exc).splitlines()[0][:200]}"
        else:
            detail = type(exc).__name__
        return RemoteError(f"remote {self.url}: {action} {relpath} failed: {detail}")

    @contextlib.contextmanager
    def _errors(self, action: str, relpath: str) -> Iterator[None]:
        """Any Azure SDK error escaping the block becomes one :class:`RemoteError`."""
        try:
            yield
        except (AzureError, *_TRANSIENT) as exc:
            err = self._fail(action, relpath, exc)
            raise err from None

    def _retry(self, fn: Callable[[], T], action: str, relpath: str) -> T:
        """Retry ``fn`` on a body that broke mid-stream (the SDK's policy retried the rest)."""
        for attempt in range(_RETRIES):
            try:
                return fn()
            except _TRANSIENT as exc:
                if attempt == _RETRIES - 1:
                    err = self._fail(action, relpath, exc)
                    raise err from None
                time.sleep(min(5.0, 0.2 * 2**attempt) * random.uniform(0.5, 1.0))
        msg = "unreachable"
        raise AssertionError(msg)  # pragma: no cover

    # -- listing ---------------------------------------------------------------------------
    def _list(self, prefix: str, max_pages: int | None = None) -> tuple[list[str], bool]:
        """Blob names below relpath ``prefix`` as sorted relpaths, and whether the listing is
        complete (it stops after ``max_pages`` pages of up to :data:`PAGE` names)."""
        strip = len(self._key(""))
        out: list[str] = []
        pages: Any = self.client.list_blobs(name_starts_with=self._key(prefix),
                                       results_per_page=PAGE).by_page()
        for n, page in enumerate(pages, start=1):
            out.extend(blob.name[strip:] for blob in page)
            if max_pages is not None and n >= max_pages:
                return out, pages.continuation_token is None
        return out, True

    def _head(self, relpath: str) -> bool:
        try:
            self.client.get_blob_client(self._key(relpath)).get_blob_properties()
        except ResourceNotFoundError as exc:
            if _code(exc) == "ContainerNotFound":
                raise
            return False
        return True

    def exists_many(self, relpaths: Iterable[str]) -> set[str]:
        """Present relpaths, found with as few requests as the remote's size allows.

        Up to ``HEAD_BATCH_LIMIT`` objects: one ``Get Blob Properties`` each. More: list the
        objects' common prefix (``files/md5/``) page by page — a small or empty remote
        answers in one request — within a budget of half as many pages as there are parent
        prefixes; the parents the budget did not reach are then listed (or probed, when they
        hold at most ``HEAD_BATCH_LIMIT`` of the objects) in parallel. Names come back
        sorted, so every relpath up to the last name seen is settled by a partial listing.
        """
        rels = set(relpaths)
        with self._errors("check", min(rels, default="")):
            return self._exists_many(rels)

    def _exists_many(self, rels: set[str]) -> set[str]:
        return exists_by_listing(rels, self._head, self._list, self.jobs, HEAD_BATCH_LIMIT)

    def walk(self, prefix: str) -> list[str]:
        """Every object below ``prefix`` (e.g. ``runs/``), sorted."""
        with self._errors("list", prefix):
            return sorted(self._list(prefix)[0])

    def delete(self, relpaths: Sequence[str]) -> None:
        """Object relpaths only (validated first), one ``Delete Blob`` each on threads, in
        order of completion; a blob already gone is fine."""
        check_deletable(self.url, relpaths)

        def one(rel: str) -> None:
            with self._errors("delete", rel):
                try:
                    self.client.delete_blob(self._key(rel))
                except ResourceNotFoundError as exc:
                    if _code(exc) != "BlobNotFound":
                        raise

        with ThreadPoolExecutor(max(1, min(len(relpaths), self.jobs or 8))) as pool:
            list(pool.map(one, relpaths))

    # -- data ------------------------------------------------------------------------------
    def upload(self, local_path: Path, relpath: str, md5: str | None = None) -> None:
        """One ``Put Blob`` for a small file, staged blocks and one ``Put Block List`` for a
        large one; either way the blob appears only when complete.

        With ``md5``: a small file is hashed first and its ``Content-MD5`` sent, so the
        server refuses a body that changed since; a large one is hashed in order as its
        blocks are read, and the block list that names the blob is committed only if it
        matched. Nothing appears under ``relpath`` otherwise.
        """
        refuse = functools.partial(refusal, self.url, relpath, md5=md5 or "")
        blob = self.client.get_blob_client(self._key(relpath))
        with self._errors("upload", relpath):
            if os.path.getsize(local_path) < BLOCK_THRESHOLD:
                self._put(local_path, blob, md5, refuse)
            else:
                with open(local_path, "rb") as f:
                    upload_blocks(blob, f, md5, refuse, max(4, self.jobs or 8))

    @staticmethod
    def _put(local_path: Path, blob: Any, md5: str | None,
             refuse: Callable[[str], ObjectCorruptError]) -> None:
        with open(local_path, "rb") as f:
            extra: dict[str, Any] = {}
            if md5 is not None:
                b64 = content_md5(f, md5, refuse)
                extra["headers"] = {"Content-MD5": b64}
                extra["content_settings"] = ContentSettings(
                    content_md5=bytearray(base64.b64decode(b64)))
            blob.upload_blob(f, length=os.fstat(f.fileno()).st_size, overwrite=True,
                             max_concurrency=1, **extra)

    def download(self, relpath: str, dest: Path) -> str | None:
        """One ``Get Blob`` streamed to ``dest`` and hashed on the way (ranges on threads for
        an object of :data:`PARALLEL_GET` or more); returns the md5 of what was written."""
        blob = self.client.get_blob_client(self._key(relpath))

        def get() -> str:
            stream = blob.download_blob(max_concurrency=max(4, self.jobs or 8))
            if (stream.size or 0) >= PARALLEL_GET:
                return download_parallel(stream, dest)
            h = hashlib.md5()
            with open(dest, "wb") as f:
                for chunk in stream.chunks():
                    f.write(chunk)
                    h.update(chunk)
            return h.hexdigest()

        with self._errors("download", relpath):
            try:
                return self._retry(get, "download", relpath)
            except ResourceNotFoundError as exc:
                if _code(exc) == "BlobNotFound":
                    msg = f"remote {self.url}: {relpath} does not exist"
                    raise RemoteObjectMissing(msg) from None
                raise
