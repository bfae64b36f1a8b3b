"""How workspace files link to cache objects: the link strategy of ``cache.type``.

The first configured type (``reflink``, ``copy``, ``hardlink``, ``symlink``) that works between
the cache and the workspace is found once, by linking an empty probe file, and then used for
every file; a file where it fails falls back to the other configured types. Copies and
reflinks are private, writable files; hardlinks and symlinks share the read-only object.
"""

from __future__ import annotations

import os
from pathlib import Path

from dvcdoit.core import fsutil, tempname
from dvcdoit.core.errors import DvcDoitError
from dvcdoit.core.hashing import HashInfo
from dvcdoit.storage.cache import ObjectCache

COPIES = ("copy", "reflink")
"""Link types that give the workspace its own writable file."""


class Links:
    """Places cache objects in the working tree below ``root`` with the first link type that works."""

    def __init__(self, root: Path, cache: ObjectCache) -> None:
        self.root = root
        self.cache = cache
        self._kind: str | None = None
        self._swept: set[str] = set()

    def kind(self, near: Path) -> str:
        """The link type in use, probed next to ``near`` the first time it is asked for."""
        if self._kind is None:
            self._kind = self._probe(near)
        return self._kind

    def copies(self, near: Path) -> bool:
        """True when the workspace gets private copies (``copy``/``reflink``), not shared links."""
        return self.kind(near) in COPIES

    def _probe(self, near: Path) -> str:
        """Find the first configured link type that works between the cache and ``near``."""
        probe_src = self.cache.tmp_path()
        probe_src.write_bytes(b"")
        parent = near.parent if near.parent.exists() else self.root
        self._sweep(os.fspath(parent))  # NOTE: a probe a killed run left there
        try:
            for kind in self.cache.link_types:
                dst = Path(fsutil.tmp_name(parent / "probe"))
                try:
                    fsutil.link(str(probe_src), str(dst), kind)
                except OSError:
                    continue
                os.unlink(dst)
                return kind
        finally:
            os.unlink(probe_src)
        types = ",".join(self.cache.link_types)
        msg = f"no possible cache link types: none of '{types}' works here; set cache.type"
        raise DvcDoitError(msg)

    def is_linked(self, path: Path, hi: HashInfo) -> bool:
        """True if ``path`` already is the link to object ``hi`` that :meth:`place` would make.

        A copy is never "linked" (it is the workspace's own file); a hardlink must share the
        object's inode, a symlink must exist.
        """
        kind = self.kind(path)
        if kind == "hardlink":
            return fsutil.is_same_file(str(path), str(self.cache.path_for(hi)))
        return kind == "symlink" and path.is_symlink()

    def _sweep(self, parent: str) -> None:
        """Remove stale temps from ``parent`` the first time this process writes there.

        NOTE: a directory output's tree was swept by its walk; this catches the parents of
        file outputs (``model.pkl`` at the root), one listing per directory per run.
        """
        if parent not in self._swept:
            self._swept.add(parent)
            tempname.sweep(parent)

    def place(self, dest: Path, hi: HashInfo, isexec: bool = False) -> None:
        """Replace ``dest`` with a link to object ``hi`` (atomically, via a temp name)."""
        src = str(self.cache.path_for(hi))
        tmp = fsutil.tmp_name(dest)
        self._sweep(os.path.dirname(tmp))
        first = self.kind(dest)
        kinds = [first, *[k for k in self.cache.link_types if k != first]]
        for kind in kinds:
            try:
                fsutil.link(src, tmp, kind)
                break
            except OSError:
                continue
        else:
            rel = fsutil.relpath_posix(dest, self.root)
            msg = f"could not link '{rel}' from the cache with any of {kinds}"
            raise DvcDoitError(msg)
        if kind in COPIES:
            fsutil.make_writable(tmp)
            if isexec:
                os.chmod(tmp, os.stat(tmp).st_mode | 0o100)
        if dest.is_dir() and not dest.is_symlink():
            fsutil.remove(dest)
        os.replace(tmp, dest)
