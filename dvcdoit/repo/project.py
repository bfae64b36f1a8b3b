"""Find the repo root and wire config, cache, state and workspace together (composition root)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path

from dvcdoit.core import fsutil
from dvcdoit.core.errors import NotARepoError, PathError
from dvcdoit.core.state import StateDB
from dvcdoit.formats.config import Config, load_config
from dvcdoit.formats.lock import LockWrites
from dvcdoit.repo.gitignore import Gitignores
from dvcdoit.repo.ignore import DvcIgnore
from dvcdoit.repo.repolock import RepoLock
from dvcdoit.repo.workspace import Workspace
from dvcdoit.storage.cache import ObjectCache

DVC_DIR = ".dvc"
DVCIGNORE_TEXT = (
    "# Add patterns of files dvc should ignore, which could improve\n"
    "# the performance. Learn more at\n"
    "# https://dvc.org/doc/user-guide/dvcignore\n"
)
DVC_GITIGNORE_TEXT = "/config.local\n/tmp\n/cache\n"


def find_root(cwd: Path | None = None) -> Path:
    """Return the nearest directory at or above ``cwd`` that contains ``.dvc/``."""
    here = (cwd or Path.cwd()).resolve()
    for cand in (here, *here.parents):
        if (cand / DVC_DIR).is_dir():
            return cand
    msg = f"you are not inside of a DVC repository (checked {here} and its parents); run 'dvcdoit init'"
    raise NotARepoError(msg)


def init(root: Path, force: bool = False) -> Path:
    """Create DVC's repo skeleton in ``root`` exactly as ``dvc init`` does; return ``.dvc``."""
    dvc_dir = root / DVC_DIR
    if dvc_dir.exists() and not force:
        msg = f"'{dvc_dir}' exists. Use `-f` to force."
        raise PathError(msg)
    (dvc_dir / "tmp").mkdir(parents=True, exist_ok=True)
    if not (dvc_dir / "config").exists():
        fsutil.atomic_write(dvc_dir / "config", b"")
    fsutil.atomic_write(dvc_dir / ".gitignore", DVC_GITIGNORE_TEXT.encode())
    if not (root / ".dvcignore").exists():
        fsutil.atomic_write(root / ".dvcignore", DVCIGNORE_TEXT.encode())
    return dvc_dir


class Project:
    """One DVC repo: its root, config, cache, state DB and workspace, opened lazily."""

    def __init__(self, root: Path, repo_lock: RepoLock | None = None) -> None:
        self.root = root
        self.dvc_dir = root / DVC_DIR
        self.tmp_dir = self.dvc_dir / "tmp"
        self.repo_lock = repo_lock or RepoLock(self.tmp_dir)
        self.lock_writes = LockWrites()
        """What this process last wrote to each ``dvc.lock`` (:func:`~dvcdoit.formats.lock.write_entries`)."""

    @classmethod
    def find(cls, cwd: Path | None = None) -> Project:
        """Open the project containing ``cwd``."""
        return cls(find_root(cwd))

    @cached_property
    def config(self) -> Config:
        """Merged system/global/repo/local config."""
        return load_config(self.dvc_dir)

    @cached_property
    def cache(self) -> ObjectCache:
        """The local object cache (``cache.dir`` or ``.dvc/cache``)."""
        root = Path(self.config.cache_dir) if self.config.cache_dir else self.dvc_dir / "cache"
        return ObjectCache(root, self.config.cache_type)

    @cached_property
    def state(self) -> StateDB:
        """The stat → md5 state DB under ``.dvc/tmp/dvcdoit``."""
        return StateDB(self.tmp_dir / "dvcdoit" / "state.db")

    @cached_property
    def ignore(self) -> DvcIgnore:
        """``.dvcignore`` rules plus the built-in ignores."""
        return DvcIgnore.load(self.root)

    @cached_property
    def gitignores(self) -> Gitignores:
        """The ``.gitignore`` files of the work tree, with git's answers remembered."""
        return Gitignores(self.root)

    @cached_property
    def workspace(self) -> Workspace:
        """The working tree seen through state DB, cache and ignores."""
        return Workspace(self.root, self.cache, self.state, self.ignore, self.config.checksum_jobs,
                         self.gitignores)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold ``.dvc/tmp/lock`` (the same flock DVC's zc.lockfile takes) for the duration.

        Re-entrant within a process, so a verb may call another that locks too.
        """
        with self.repo_lock.hold():
            yield

    def hold_lock(self) -> None:
        """Take ``.dvc/tmp/lock`` until this process exits (doit runs: held across all tasks)."""
        self.repo_lock.hold_to_exit()

    def resolve(self, user_path: str | os.PathLike[str], cwd: Path | None = None) -> Path:
        """Turn a user path (relative to ``cwd``) into an absolute path inside the repo.

        Refuses paths outside the repo or inside ``.dvc/``.
        """
        base = cwd or Path.cwd()
        raw = Path(os.path.normpath(base / user_path))
        parent = raw.parent.resolve()
        absolute = parent / raw.name
        try:
            rel = absolute.relative_to(self.root)
        except ValueError:
            msg = f"'{user_path}' is outside of the repo '{self.root}'; only paths inside it can be used"
            raise PathError(msg) from None
        if rel.parts and rel.parts[0] == DVC_DIR:
            msg = f"'{user_path}' is inside '.dvc/', which dvcdoit manages itself; pick another path"
            raise PathError(msg)
        if not rel.parts:
            msg = f"'{user_path}' is the repo root; track a file or directory inside it"
            raise PathError(msg)
        return absolute

    def rel(self, path: Path) -> str:
        """Repo-relative posix path."""
        return fsutil.relpath_posix(path, self.root)

    def dvcfiles(self) -> list[Path]:
        """Every ``*.dvc`` file in the repo (skips ``.git``, ``.dvc``, ignored dirs and outputs)."""
        return self.scan()[0]

    def scan(self, strict: bool = False) -> tuple[list[Path], list[Path]]:
        """Walk the repo once: ``(*.dvc files, dvc.yaml files with the root one first)``.

        A directory that cannot be listed is skipped, or with ``strict`` (gc, which must not
        act on a partial view) a :class:`PathError` naming it.

        NOTE: a directory ``X`` next to ``X.dvc`` is an output, and DVC files never live inside
        outputs, so it is not descended into; that keeps this walk cheap in data-heavy repos.
        """
        found: list[Path] = []
        pipelines: list[Path] = []
        stack = [self.root]
        while stack:
            top = stack.pop()
            try:
                entries = list(os.scandir(top))
            except OSError as exc:
                if strict and not isinstance(exc, FileNotFoundError):
                    msg = (f"cannot list '{self.rel(top)}': {exc.strerror}; every directory of "
                           "the repo must be readable to tell which objects are used")
                    raise PathError(msg) from None
                continue
            names = {e.name for e in entries}
            for e in entries:
                if e.is_dir(follow_symlinks=False):
                    if e.name in (".git", ".hg", DVC_DIR) or f"{e.name}.dvc" in names:
                        continue
                    rel = fsutil.relpath_posix(e.path, self.root)
                    if (Path(e.path) / DVC_DIR).is_dir() or self.ignore.is_ignored(rel, True):
                        continue
                    stack.append(Path(e.path))
                elif e.name.endswith(".dvc") and e.is_file():
                    found.append(Path(e.path))
                elif e.name == "dvc.yaml" and e.is_file():
                    pipelines.append(Path(e.path))
        root_file = self.root / "dvc.yaml"
        pipelines.sort(key=lambda p: (p != root_file, str(p)))
        return sorted(found), pipelines
