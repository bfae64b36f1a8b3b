"""An ``s3://bucket/key`` URL for ``import-url``/``get-url``: one object, or every object
under a prefix (a directory, as DVC sees it when no object has that exact key).

The client is an :class:`S3Remote`'s (credentials and ``AWS_ENDPOINT_URL`` from the
environment, as DVC's s3fs takes them). A single-part object's etag is its md5, so such
downloads are verified against it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import botocore.exceptions

from dvcdoit.core.errors import RemoteError
from dvcdoit.formats.config import RemoteConfig
from dvcdoit.storage.remotes import RemoteObjectMissing
from dvcdoit.storage.remotes.s3 import S3Remote
from dvcdoit.storage.remotes.urls import UrlFile, UrlInfo, etag_dir_md5, missing

_MISSING = ("404", "NoSuchKey", "NotFound", "NoSuchBucket")


def _code(exc: botocore.exceptions.ClientError) -> str:
    err = exc.response.get("Error", {})
    return str(err.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode"))


class S3Url:
    """An object or a prefix on S3."""

    def __init__(self, url: str) -> None:
        self.shown = url
        parts = urlsplit(url)
        self.bucket = parts.netloc
        self.key = parts.path.lstrip("/")
        self._remote: S3Remote | None = None

    @property
    def remote(self) -> S3Remote:
        """The bucket's client, built on first use."""
        if self._remote is None:
            self._remote = S3Remote.from_config(RemoteConfig(self.shown, f"s3://{self.bucket}"))
        return self._remote

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except botocore.exceptions.ClientError as exc:
            code = _code(exc)
            if code in _MISSING:
                raise missing(self.shown) from None
            msg = f"{self.shown}: {code}; check the credentials and that they may read it"
            raise RemoteError(msg) from None
        except (botocore.exceptions.EndpointConnectionError,
                botocore.exceptions.ConnectTimeoutError) as exc:
            where = urlsplit(str(exc.kwargs.get("endpoint_url", "")))
            msg = f"{self.shown}: cannot connect to {where.scheme}://{where.netloc}"
            raise RemoteError(msg) from None
        except botocore.exceptions.NoCredentialsError:
            msg = f"{self.shown}: no AWS credentials found (set AWS_ACCESS_KEY_ID and ...)"
            raise RemoteError(msg) from None

    def info(self) -> UrlInfo:
        """The object at the key, else the objects below ``key/``."""
        client: Any = self.remote.client
        with self._errors():
            if self.key and not self.key.endswith("/"):
                try:
                    head = client.head_object(Bucket=self.bucket, Key=self.key)
                except botocore.exceptions.ClientError as exc:
                    if _code(exc) not in _MISSING:
                        raise
                else:
                    etag = str(head["ETag"]).strip('"')
                    size = int(head["ContentLength"])
                    md5 = None if "-" in etag else etag
                    return UrlInfo(False, (UrlFile("", size, md5),), {"etag": etag, "size": size})
            return self._listing(client)

    def _listing(self, client: Any) -> UrlInfo:
        prefix = self.key.rstrip("/") + "/" if self.key.strip("/") else ""
        found: list[tuple[str, str, int]] = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                     Prefix=prefix):
            for obj in page.get("Contents", []):
                rel = str(obj["Key"])[len(prefix):]
                if rel and not rel.endswith("/"):
                    found.append((rel, str(obj["ETag"]).strip('"'), int(obj["Size"])))
        if not found:
            raise missing(self.shown)
        found.sort()
        files = tuple(UrlFile(rel, size, None if "-" in etag else etag)
                      for rel, etag, size in found)
        dep = {"md5": etag_dir_md5([(rel, etag) for rel, etag, _ in found]),
               "size": sum(size for _, _, size in found), "nfiles": len(found)}
        return UrlInfo(True, files, dep)

    def download(self, relpath: str, dest: Path) -> str:
        """``GetObject`` into ``dest``, hashed on the way."""
        key = self.key
        if relpath:
            key = (key.rstrip("/") + "/" if key.strip("/") else "") + relpath
        try:
            md5 = self.remote.download(key, dest)
        except RemoteObjectMissing:
            raise missing(self.shown) from None
        assert md5 is not None
        return md5


__all__ = ["S3Url"]
