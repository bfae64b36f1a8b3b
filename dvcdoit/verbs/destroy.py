"""``destroy``: take DVC out of a repo the way DVC 3.67.1's ``dvc destroy`` does.

Measured (docs/housekeeping.md): every output of every stage and data source is left in the
workspace as a plain writable copy (a symlink, hardlink or read-only file is replaced by a
copy of its content); then every ``.dvc`` file, every ``dvc.yaml`` with stages and its ``dvc.lock``,
the root ``.dvcignore`` and the whole ``.dvc/`` directory (config, ``config.local``, the cache
inside it, tmp) are deleted. ``.gitignore`` entries stay, and a cache configured outside
``.dvc/`` (``cache.dir``) is left alone, as DVC leaves them.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from dvcdoit.core import fsutil
from dvcdoit.formats.lock import LOCK_FILE
from dvcdoit.pipeline.index import load_index
from dvcdoit.repo.ignore import IGNORE_FILE
from dvcdoit.repo.project import DVC_DIR, Project

PROMPT = ("This will destroy all information about your pipelines, all data files, as well \n"
          "as cache in .dvc/cache.\n"
          "Are you sure you want to continue? [y/n]: ")
"""DVC's question, as its console prints it (wrapped at 80 columns, so with a blank before
the first line break)."""


def _files(path: Path) -> Iterator[Path]:
    if path.is_symlink() or path.is_file():
        yield path
    elif path.is_dir():
        for top, _dirs, files in os.walk(path):
            for name in files:
                yield Path(top, name)


def unprotect_copy(path: Path) -> None:
    """Make ``path`` a plain writable file with its own content (a link becomes a copy)."""
    st = os.lstat(path)
    if os.path.islink(path) or st.st_nlink > 1:
        if not path.exists():
            return  # NOTE: a dangling link (object not in the cache): nothing to keep
        tmp = fsutil.tmp_name(path)
        fsutil.copyfile(str(path), tmp)
        os.replace(tmp, path)
    fsutil.make_writable(path)


def destroy(project: Project) -> list[str]:
    """Remove DVC from ``project``; return the repo-relative files removed (``.dvc/`` last)."""
    root = project.root
    removed: list[str] = []
    with project.lock():
        index = load_index(project)
        outs = [p for s in index.sources.values() for p in s.out_paths]
        outs += [st.repo_path(o.path) for st in index.stages.values() for o in st.outs]
        for out in outs:
            for f in _files(root / out):
                unprotect_copy(f)
        # NOTE: as DVC, the files of stages: a dvc.yaml without stages (plots only) stays
        files = {st.file for st in index.stages.values()} | set(index.sources)
        for rel in sorted(files):
            path = root / rel
            for each in (path,) if rel.endswith(".dvc") else (path, path.with_name(LOCK_FILE)):
                if each.exists():
                    each.unlink()
                    removed.append(project.rel(each))
    with contextlib.suppress(FileNotFoundError):
        (root / IGNORE_FILE).unlink()
        removed.append(IGNORE_FILE)
    fsutil.remove(root / DVC_DIR)
    removed.append(DVC_DIR)
    return removed
