"""In-memory fakes of dvcdoit's I/O seams, for fast tests of the logic above them."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from dvcdoit.core.errors import RemoteError
from dvcdoit.storage.remotes import RemoteObjectMissing, check_deletable
from dvcdoit.storage.remotes.gate import refusal


class MemoryRemote:
    """A :class:`dvcdoit.storage.remotes.Remote` keeping objects in a dict; counts calls, injects faults.

    ``fail_uploads``/``fail_downloads`` hold relpaths whose transfer raises ``RemoteError``;
    ``calls`` counts ``exists_many``/``upload``/``download``/``walk`` calls, ``log`` records
    the order of uploads.
    """

    def __init__(self, url: str = "memory://remote") -> None:
        self.url = url
        self.jobs: int | None = None
        self.forkable = False  # NOTE: objects live in this process's memory
        self.objects: dict[str, bytes] = {}
        self.fail_uploads: set[str] = set()
        self.fail_downloads: set[str] = set()
        self.calls: dict[str, int] = {"exists_many": 0, "upload": 0, "download": 0, "walk": 0,
                                  "delete": 0}
        self.log: list[str] = []
        self._lock = threading.Lock()

    def _count(self, name: str) -> None:
        with self._lock:
            self.calls[name] += 1

    def exists_many(self, relpaths: Iterable[str]) -> set[str]:
        self._count("exists_many")
        return {r for r in relpaths if r in self.objects}

    def upload(self, local_path: Path, relpath: str, md5: str | None = None) -> None:
        self._count("upload")
        if relpath in self.fail_uploads:
            msg = f"remote {self.url}: upload {relpath} failed: injected"
            raise RemoteError(msg)
        data = local_path.read_bytes()
        if md5 is not None and (actual := hashlib.md5(data).hexdigest()) != md5:
            raise refusal(self.url, relpath, actual, md5)
        with self._lock:
            self.objects[relpath] = data
            self.log.append(relpath)

    def download(self, relpath: str, dest: Path) -> str | None:
        self._count("download")
        if relpath in self.fail_downloads:
            msg = f"remote {self.url}: download {relpath} failed: injected"
            raise RemoteError(msg)
        try:
            data = self.objects[relpath]
        except KeyError:
            msg = f"remote {self.url}: {relpath} does not exist"
            raise RemoteObjectMissing(msg) from None
        dest.write_bytes(data)
        return None

    def walk(self, prefix: str) -> list[str]:
        self._count("walk")
        return sorted(r for r in self.objects if r.startswith(prefix))

    def delete(self, relpaths: Sequence[str]) -> None:
        self._count("delete")
        check_deletable(self.url, relpaths)
        with self._lock:
            for rel in relpaths:
                self.objects.pop(rel, None)
                self.log.append(f"delete {rel}")
