"""``unprotect``: turn links to cache objects into the workspace's own writable copies.

As dvc-data's ``unprotect``: every file of the output that is a symlink or a hardlink is
copied to a temp name next to it and renamed over it; every file then gets the mode
``0o666 & ~umask`` (so a copy or reflink is made writable too). The cache object itself is
never written, and stays 0444.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from dvcdoit.core import fsutil
from dvcdoit.core.errors import PathError


def _files(path: Path) -> Iterator[Path]:
    if path.is_dir() and not path.is_symlink():
        for top, _dirs, names in os.walk(path):
            for name in sorted(names):
                yield Path(top) / name
    else:
        yield path


def _mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def unprotect_targets(targets: Sequence[str], cwd: Path) -> int:
    """``dvc unprotect``: each target path (as typed, from ``cwd``), tracked or not, as DVC.

    Every target is checked first: one that does not exist is DVC's line
    ``can't unprotect non-existing data 'x'`` (DVC 3.67.1 crashes with it as an "unexpected
    error", exit 255) and nothing changes.
    """
    for text in targets:
        if not os.path.exists(cwd / text):
            msg = f"can't unprotect non-existing data '{text}'"
            raise PathError(msg)
    return sum(unprotect_path(cwd / text) for text in targets)


def unprotect_path(path: Path) -> int:
    """Unprotect the existing file or directory at ``path``; return how many files were copied."""
    copied = 0
    mode = _mode()
    for file in _files(path):
        st = os.lstat(file)
        if os.path.islink(file) or st.st_nlink > 1:
            tmp = fsutil.tmp_name(file)
            fsutil.copyfile(os.fspath(file), tmp)
            os.replace(tmp, file)
            copied += 1
        os.chmod(file, mode)
    return copied
