"""Move data between the workspace and the cache, and describe workspace state as data.

``hash`` tells what a path holds now (:class:`~dvcdoit.repo.hasher.Hasher`: through the state
DB, in parallel, never writing the cache), ``commit`` puts it into the cache (hashing and
storing each file from one read) and links it per ``cache.type``
(:class:`~dvcdoit.repo.links.Links`), ``checkout`` restores it from the cache, and ``status``
compares it with a recorded hash using DVC's words.
"""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from dvcdoit.core import fanout, fsutil, tempname
from dvcdoit.core.errors import (
    CheckoutError,
    DvcDoitError,
    HashingError,
    ObjectMissingError,
    PathError,
)
from dvcdoit.core.hashing import MD5, HashInfo, ManifestEntry, hash_file, md5_bytes
from dvcdoit.core.progress import expect
from dvcdoit.core.state import Row, Signature, StateDB
from dvcdoit.repo.gitignore import Gitignores
from dvcdoit.repo.hasher import (
    SMALL,
    Files,
    Hashed,
    Hasher,
    Progress,
    dir_files,
    manifest,
    read_small,
    tree_signature,
)
from dvcdoit.repo.ignore import DvcIgnore
from dvcdoit.repo.links import Links
from dvcdoit.storage.cache import ObjectCache

StateRow = Row  # NOTE: flat, see StateDB.set_rows


@dataclass
class Changed:
    """What a checkout changed, in files (a directory's members counted one by one), as
    DVC's ``pull`` summary counts them; true when anything changed."""

    modified: int = 0
    added: int = 0
    deleted: int = 0

    def __bool__(self) -> bool:
        return bool(self.modified or self.added or self.deleted)

    def add(self, other: Changed) -> None:
        """Count ``other``'s changes too."""
        self.modified += other.modified
        self.added += other.added
        self.deleted += other.deleted


class Workspace:
    """The repo's working tree seen through the state DB, the cache and ``.dvcignore``."""

    def __init__(self, root: Path, cache: ObjectCache, state: StateDB, ignore: DvcIgnore,
                 jobs: int | None = None, gitignores: Gitignores | None = None) -> None:
        self.root = root
        self.cache = cache
        self.state = state
        self.ignore = ignore
        self.jobs = jobs or min(8, (os.cpu_count() or 1) * 2)
        self.hasher = Hasher(root, state, ignore, self.jobs)
        self.links = Links(root, cache)
        self.gitignores = gitignores or Gitignores(root)

    # ---------------------------------------------------------------- hashing
    def rel(self, path: str | Path) -> str:
        """Return ``path`` relative to the repo root, posix style."""
        return fsutil.relpath_posix(path, self.root)

    def hash(self, path: Path, name: str = MD5, progress: Progress | None = None) -> Hashed:
        """What ``path`` holds now (:meth:`Hasher.hash`); a query only, it never writes the cache."""
        return self.hasher.hash(path, name, progress)

    # ---------------------------------------------------------------- commit
    def commit(self, path: Path, name: str = MD5, progress: Progress | None = None) -> Hashed:
        """Put the data at ``path`` into the cache and link the workspace per ``cache.type``.

        A new single file is hashed and copied in one pass. Returns what was committed.
        """
        self._refuse_escape(path)
        if name == MD5 and path.is_file() and not path.is_symlink():
            st = os.stat(path)
            if self.state.get(os.fspath(path), name, Signature.of(st)) is None:
                hi = HashInfo(name, self._store_one(os.fspath(path), st.st_size, name))
                self.state.set_many([(os.fspath(path), name, Signature.of(st), hi.value)])
                self._relink(path, hi)
                return Hashed(hi, st.st_size, None, fsutil.is_exec(st.st_mode))
        st = self.hasher.stat(path)
        if not stat.S_ISDIR(st.st_mode):
            hashed = self.hasher.hash_file(path, st, name, progress)
            self.cache.add_file(path, hashed.hi)
            self._relink(path, hashed.hi)
            return hashed
        hashed = self._store_dir(path, name, progress)
        self.state.mark_complete(self._complete_key(hashed.hi))  # NOTE: every member was stored
        if not self.links.copies(path):  # NOTE: copies need no relinking
            for e in hashed.entries:
                self._relink(path / e.relpath, HashInfo(name, e.md5))
        return hashed

    def _relink(self, path: Path, hi: HashInfo) -> None:
        """Make the committed ``path`` a link to its object, unless it is one (or a copy)."""
        if not self.links.copies(path) and not self.links.is_linked(path, hi):
            self._place(path, hi)

    def _store_hits(self, files: Files, values: list[str], read: list[int], name: str) -> None:
        """Copy into the cache the files whose hash came from the state DB (not in ``read``)
        and whose object is missing."""
        done = set(read)
        absent = [i for i in range(len(values))
                  if i not in done and not self.cache.has(HashInfo(name, values[i]))]

        def copy(i: int) -> None:
            self.cache.add_file(Path(files[i][0]), HashInfo(name, values[i]), trusted_absent=True)

        fanout.map_by_size(copy, absent, [files[i][1].st_size for i in absent], limit=self.jobs)

    def _store_one(self, path: str, size: int, name: str) -> str:
        """Hash ``path`` and put it into the cache from a single read; return its hash."""
        if size > SMALL or name != MD5:
            if name == MD5:
                hi, _ = self.cache.ingest(Path(path))
                return hi.value
            hi = HashInfo(name, hash_file(path, name))
            self.cache.add_file(Path(path), hi)
            return hi.value
        data = read_small(path, size)
        hi = HashInfo(MD5, md5_bytes(data))
        self.cache.add_content(data, hi)
        return hi.value

    def _store_dir(self, path: Path, name: str, progress: Progress | None) -> Hashed:
        """Hash directory ``path`` and put every member and its ``.dir`` manifest in the cache.

        A file that must be read anyway is hashed and stored from the same read (one pass);
        a state-DB hit is copied in only if its object is missing. The tree memo is not
        trusted here: every member must be checked for its object.
        """
        walked = self.ignore.walk_files(path)
        sig = tree_signature(walked)
        files = dir_files(path, walked)
        values, read = self.hasher.hash_files(files, name, os.fspath(path), progress,
                                              self._store_one)
        self._store_hits(files, values, read, name)
        entries = manifest(walked, values)
        oid = self.cache.add_manifest(entries, name).value
        return self.hasher.listed(path, name, sig, walked, entries, oid)

    # ---------------------------------------------------------------- checkout
    def _place(self, dest: Path, hi: HashInfo, isexec: bool = False) -> None:
        """Link ``dest`` to object ``hi`` (:meth:`Links.place`) and record it in the state DB."""
        self.links.place(dest, hi, isexec)
        with contextlib.suppress(OSError):
            st = os.stat(dest)
            self.state.set_many([(os.fspath(dest), hi.name, Signature.of(st), hi.value)])

    def _refuse_escape(self, path: Path) -> None:
        """Refuse ``path`` if its directory is (below) a symlink leading out of the repo or
        into ``.dvc/`` or ``.git/``: a checkout or commit would write there."""
        rel = os.path.relpath(os.path.realpath(path.parent), os.path.realpath(self.root))
        top = rel.split(os.sep, 1)[0]
        if top in ("..", ".dvc", ".git"):
            msg = (f"'{self.rel(path)}' lies below a symlink that leads outside the repo (or into "
                   ".dvc/ or .git/); replace the symlink with a directory")
            raise PathError(msg)

    def _safe_parent(self, top: Path, dest: Path) -> None:
        """Create ``dest``'s parents below ``top``, replacing symlinks so nothing escapes ``top``."""
        cur = top
        for part in dest.relative_to(top).parts[:-1]:
            cur = cur / part
            if cur.is_symlink() or (cur.exists() and not cur.is_dir()):
                fsutil.remove(cur)
            cur.mkdir(exist_ok=True)

    def checkout(self, path: Path, hi: HashInfo, isexec: bool = False, force: bool = False,
                 progress: Progress | None = None) -> Changed:
        """Restore ``path`` from the cache; return what changed (false: nothing).

        Files already matching are left alone. Workspace files that would be overwritten or
        removed and are not saved in the cache are refused without ``force``. Missing
        objects are collected and raised together as :class:`CheckoutError` after every
        other file was restored.
        """
        self._refuse_escape(path)
        if not hi.isdir:
            return self._checkout_counted(path, hi, isexec, force)
        entries = self.cache.read_manifest(hi)
        expect(progress, len(entries))
        if path.is_symlink() or (path.exists() and not path.is_dir()):
            self._guard_unsaved(path, force)
            fsutil.remove(path)
        existed = path.is_dir()
        path.mkdir(parents=True, exist_ok=True)
        current = dict(self.ignore.walk_files(path)) if existed else {}
        wanted = {e.relpath: e for e in entries}
        changed = Changed()
        extra = [rel for rel in current if rel not in wanted]
        if extra and not force:
            self._guard_unsaved_many([path / r for r in extra])
        for rel in extra:
            os.unlink(path / rel)
            changed.deleted += 1
        failures: list[str] = []
        fast: list[ManifestEntry] = []
        copying = self.links.copies(path)
        for e in entries:
            if copying and e.relpath not in current and (
                    not existed or not os.path.lexists(path / e.relpath)):
                fast.append(e)
                continue
            dest = path / e.relpath
            try:
                self._safe_parent(path, dest)
                changed.add(self._checkout_counted(dest, HashInfo(hi.name, e.md5), False, force,
                                                   e.relpath in current))
            except ObjectMissingError as exc:
                failures.append(str(exc))
            if progress:
                progress(1)
        if fast:
            missed = self._checkout_new(path, hi.name, fast, progress)
            failures += missed
            changed.added += len(fast) - len(missed)
        if failures:
            self.state.forget_complete(self._complete_key(hi))
            raise CheckoutError(failures)
        return changed

    def _checkout_new(self, top: Path, name: str, entries: list[ManifestEntry],
                      progress: Progress | None) -> list[str]:
        """Copy (or reflink) objects to paths below ``top`` that do not exist yet; return failures.

        NOTE: the fast path of ``pull``: each parent directory is made (safely) once, each
        file is created writable through a temp name with one in-kernel copy and renamed into
        place (in forked workers, see :mod:`fanout`), and the state DB gets one batch of rows.
        """
        base = os.fspath(top)
        for parent in sorted({e.relpath.rpartition("/")[0] for e in entries} - {""}):
            self._safe_parent(top, top / parent / "_")
        reflink = self.links.kind(top) == "reflink"
        tag = f"{os.urandom(4).hex()}x"

        def one(k: int) -> StateRow | str:
            e = entries[k]
            hi = HashInfo(name, e.md5)
            dest = f"{base}/{e.relpath}"
            if not self.cache.has(hi):
                return (f"'{self.rel(dest)}': object {hi.value} is missing from the cache; "
                        "run pull")
            tmp = f"{dest.rpartition('/')[0]}/{tempname.name(f'{tag}{k:x}')}"
            _, st = fsutil.copy_new(self.cache.path_str(hi), tmp, 0o666, reflink)
            fsutil.replace_into(tmp, dest)
            return (dest, name, st.st_ino, st.st_mtime_ns, st.st_size, hi.value)

        # NOTE: contiguous runs of the (sorted) manifest go to each process, so they mostly
        # write to different directories instead of contending for one directory's lock
        done = fanout.fork_map(one, range(len(entries)), progress, limit=self.jobs)
        self.state.set_rows([r for r in done if not isinstance(r, str)])
        return [r for r in done if isinstance(r, str)]

    def _matches(self, path: Path, hi: HashInfo) -> bool:
        try:
            st = os.stat(path)
        except OSError:
            return False
        if not stat.S_ISREG(st.st_mode):
            return False
        kind = self.links.kind(path)
        obj = str(self.cache.path_for(hi))
        if kind == "symlink" and os.path.islink(path):
            return os.readlink(path) == obj
        if kind == "hardlink" and not fsutil.is_same_file(str(path), obj):
            return False
        return self.hash(path, hi.name).hi == hi

    def _checkout_counted(self, path: Path, hi: HashInfo, isexec: bool, force: bool,
                          existed: bool | None = None) -> Changed:
        """:meth:`_checkout_file`, counted (``existed``: known already, no extra stat)."""
        existed = os.path.lexists(path) if existed is None else existed
        if not self._checkout_file(path, hi, isexec, force):
            return Changed()
        return Changed(modified=1) if existed else Changed(added=1)

    def _checkout_file(self, path: Path, hi: HashInfo, isexec: bool, force: bool) -> bool:
        if self._matches(path, hi):
            if isexec and not fsutil.is_exec(os.stat(path).st_mode) and not path.is_symlink():
                os.chmod(path, os.stat(path).st_mode | 0o100)
            return False
        if not self.cache.has(hi):
            msg = f"'{self.rel(path)}': object {hi.value} is missing from the cache; run pull"
            raise ObjectMissingError(msg)
        if os.path.lexists(path):
            self._guard_unsaved(path, force)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._place(path, hi, isexec)
        return True

    def _guard_unsaved(self, path: Path, force: bool) -> None:
        if not force:
            self._guard_unsaved_many([path])

    def _guard_unsaved_many(self, paths: list[Path]) -> None:
        unsaved = []
        for p in paths:
            if p.is_symlink() or not p.exists():
                continue
            if p.is_dir():
                unsaved.append(p)
                continue
            if not self.cache.has(self.hash(p).hi):
                unsaved.append(p)
        if unsaved:
            names = ", ".join(f"'{self.rel(p)}'" for p in unsaved[:5])
            more = f" and {len(unsaved) - 5} more" if len(unsaved) > 5 else ""
            msg = f"refusing to overwrite unsaved {names}{more}; commit it or use --force"
            raise DvcDoitError(msg)

    # ---------------------------------------------------------------- status
    def status(self, path: Path, recorded: HashInfo | None, cached: bool = True) -> str | None:
        """Return DVC's status word for an output (``not in cache``/``deleted``/``modified``) or None."""
        if cached and recorded is not None and not self.in_cache(recorded):
            return "not in cache"
        if not os.path.lexists(path) or self.ignore.is_ignored(self.rel(path), path.is_dir()):
            return "deleted"
        if recorded is None:
            return "modified"
        try:
            now = self.hash(path, recorded.name)
        except HashingError:
            return "deleted"
        return None if now.hi == recorded else "modified"

    def _complete_key(self, hi: HashInfo) -> str:
        return f"{self.cache.root}:{hi.value}"

    def in_cache(self, hi: HashInfo) -> bool:
        """True if ``hi`` (and, for a directory, every member) is in the cache.

        Fast path: a directory once verified complete is remembered in the state DB (cache
        objects are read-only and only ``gc`` removes them), so only its ``.dir`` is stat'ed.
        """
        if not self.cache.has(hi):
            return False
        if not hi.isdir:
            return True
        key = self._complete_key(hi)
        if self.state.is_complete(key):
            return True
        try:
            complete = all(self.cache.has(m) for m in self.cache.expand(hi)[1:])
        except DvcDoitError:
            return False
        if complete:
            self.state.mark_complete(key)
        return complete
