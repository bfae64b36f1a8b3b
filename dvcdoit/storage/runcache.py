"""DVC's run-cache (spec §9): ``<cache>/runs/<key[:2]>/<key>/<value>`` YAML lock entries.

``value`` is the sha256 of ``json.dumps(entry, sort_keys=True)`` where every ``size`` and
``nfiles`` key is dropped (recursively); ``key`` is the same with ``outs`` replaced by the list
of out paths, so it depends only on cmd, deps and params. Restoring takes the single newest
file (by mtime) in the key directory, as DVC does. This module is the one place that knows
that layout: the stages and the transfers use :class:`RunCache` and entry names.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from dvcdoit.core import fsutil
from dvcdoit.core.errors import DvcDoitError
from dvcdoit.core.hashing import strip_keys
from dvcdoit.formats import _yaml
from dvcdoit.formats.lock import LockEntry, entry_to_dict, parse_entry
from dvcdoit.storage.cache import ObjectCache

_DROP = frozenset({"size", "nfiles"})


def _sha256(data: Any) -> str:
    blob = json.dumps(strip_keys(data, _DROP), sort_keys=True).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


def run_key(entry: LockEntry) -> str:
    """The key of a run: cmd, deps and params (out *paths* only)."""
    d = entry_to_dict(entry)
    if "outs" in d:
        d["outs"] = [o["path"] for o in d["outs"]]
    return _sha256(d)


def run_value(entry: LockEntry) -> str:
    """The value of a run: the whole entry (outs with their hashes)."""
    return _sha256(entry_to_dict(entry))


_NAME = re.compile(r"^runs/([0-9a-f]{2})/([0-9a-f]{64})/([0-9a-f]{64})$")
PREFIX = "runs/"
"""Where run-cache entries live below a cache or a remote root: entry names start with it."""


def parse_name(name: str) -> tuple[str, str] | None:
    """``(key, value)`` of an entry name ``runs/<key[:2]>/<key>/<value>``; None if it is not one."""
    m = _NAME.match(name)
    if m is None or not m.group(2).startswith(m.group(1)):
        return None
    return m.group(2), m.group(3)


class RunCache:
    """The run-cache inside an object cache: ``<cache>/runs/<key[:2]>/<key>/<value>``.

    Entries are named by their path below the cache root (``runs/…``), which is also their
    relpath on a remote, so a transfer moves them by name without knowing the layout.
    """

    def __init__(self, cache: ObjectCache) -> None:
        self.root = cache.root
        self.dir = cache.root / "runs"

    def entry_path(self, entry: LockEntry) -> Path:
        """Where ``entry`` is (or would be) stored."""
        key = run_key(entry)
        return self.dir / key[:2] / key / run_value(entry)

    def save(self, entry: LockEntry) -> Path:
        """Store ``entry`` atomically; an identical existing entry is left as it is."""
        path = self.entry_path(entry)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fsutil.atomic_write_text(path, _yaml.dumps(entry_to_dict(entry)))
        return path

    def find(self, entry: LockEntry) -> LockEntry | None:
        """The newest entry stored under ``entry``'s key (its out hashes do not matter)."""
        return self.load_newest(run_key(entry))

    def load_newest(self, key: str) -> LockEntry | None:
        """The newest entry stored under ``key`` (None if none, or if it is unreadable)."""
        key_dir = self.dir / key[:2] / key
        newest: tuple[int, str] | None = None
        with contextlib.suppress(FileNotFoundError, NotADirectoryError), os.scandir(key_dir) as it:
            for e in it:
                if e.name.startswith(".") or not e.is_file():
                    continue  # NOTE: skip temp files of a concurrent writer
                cand = (e.stat().st_mtime_ns, e.name)
                if newest is None or cand > newest:
                    newest = cand
        if newest is None:
            return None
        path = key_dir / newest[1]
        try:
            return parse_entry(_yaml.loads(path.read_bytes(), str(path)), str(path))
        except (OSError, DvcDoitError):
            return None  # NOTE: a damaged run-cache entry only means "not restorable"

    def load_all(self, key: str) -> list[LockEntry]:
        """Every readable entry stored under ``key`` (temp files and damaged entries skipped)."""
        key_dir = self.dir / key[:2] / key
        out: list[LockEntry] = []
        with contextlib.suppress(FileNotFoundError, NotADirectoryError), os.scandir(key_dir) as it:
            for e in it:
                if e.name.startswith(".") or not e.is_file():
                    continue
                with contextlib.suppress(OSError, DvcDoitError):
                    out.append(parse_entry(_yaml.loads(Path(e.path).read_bytes(), e.path), e.path))
        return out

    def names(self) -> list[str]:
        """The names (``runs/…``) of every stored entry, sorted; stray files are skipped."""
        out: list[str] = []
        if not self.dir.is_dir():
            return out
        for dirpath, _dirs, files in os.walk(self.dir):
            for name in files:
                rel = PREFIX + Path(os.path.relpath(os.path.join(dirpath, name), self.dir)).as_posix()
                if _NAME.match(rel):
                    out.append(rel)
        return sorted(out)

    def path_of(self, name: str) -> Path:
        """Where the entry called ``name`` (``runs/…``) is stored."""
        return self.root / name

    def place(self, tmp: Path, name: str) -> None:
        """Rename the downloaded file ``tmp`` into place as entry ``name``."""
        dest = self.path_of(name)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, dest)


def verify_file(path: Path, key: str, value: str) -> bool:
    """True if the entry file at ``path`` is a valid run-cache entry stored as ``key/value``.

    Used for entries downloaded from a remote: their name must be the digest of their content,
    so a tampered entry can never make a stage restore outputs it did not produce.
    """
    try:
        entry = parse_entry(_yaml.loads(path.read_bytes(), str(path)), str(path))
    except (OSError, DvcDoitError):
        return False
    return run_value(entry) == value and run_key(entry) == key
