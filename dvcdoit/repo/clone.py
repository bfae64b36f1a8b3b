"""A git URL cloned into a temp directory, as DVC clones the repos it imports from and lists.

``https://``, ``ssh://``, ``file://`` and ``git@host:path`` are git URLs, and a local bare repo
is cloned as one; anything else is a local path, read in place. The clone is a plain ``git clone`` (its default branch checked out, every branch
as ``origin/<name>``, tags fetched); :func:`revision` finds a source branch under either
name. The caller removes the directory (:func:`remove`).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from dvcdoit.core.errors import PathError
from dvcdoit.repo.revision import Revision, run_git


def is_git_url(url: str) -> bool:
    """A URL git must clone (``https://``, ``ssh://``, ``file://``, ``git@host:path``)."""
    return "://" in url or (url.startswith("git@") and ":" in url)


def is_bare(path: Path) -> bool:
    """A local bare git repo (``git clone --bare``'s ``x.git``): it must be cloned to be read."""
    if (path / ".git").exists() or not (path / "HEAD").is_file():
        return False
    proc = run_git(path, "rev-parse", "--is-bare-repository")
    return proc.returncode == 0 and proc.stdout.strip() == b"true"


def clone(url: str) -> Path:
    """``git clone`` ``url`` into a new temp directory; the clone's root. One line naming
    the git error if it fails (the directory is then already gone)."""
    tmp = Path(tempfile.mkdtemp(prefix="dvcdoit-clone-"))
    proc = run_git(tmp, "clone", "-q", "--", url, "repo")
    if proc.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        lines = proc.stderr.decode(errors="replace").strip().splitlines()
        why = next((x for x in lines if x.startswith("fatal:")), lines[-1] if lines else "")
        msg = f"cannot clone it with git: {why or 'git clone failed'}"
        raise PathError(msg)
    return tmp / "repo"


def remove(root: Path) -> None:
    """Delete a clone made by :func:`clone` (its temp directory)."""
    shutil.rmtree(root.parent, ignore_errors=True)


def revision(root: Path, rev: str, cloned: bool) -> Revision:
    """``rev`` of the repo at ``root``; in a clone a source branch is ``origin/<rev>`` too."""
    for name in (rev, f"origin/{rev}") if cloned else (rev,):
        try:
            return Revision(root, name)
        except PathError:
            continue
    msg = f"unknown Git revision '{rev}'"
    raise PathError(msg)


__all__ = ["clone", "is_bare", "is_git_url", "remove", "revision"]
