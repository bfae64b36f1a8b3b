"""Files of the repo as they are at a git revision (``git ls-tree`` and ``git cat-file``).

What ``dvcdoit.api``'s ``rev=`` reads: the ``.dvc`` and ``dvc.lock`` files of a commit,
branch or tag, without touching the workspace. A revision git does not know is one line.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from dvcdoit.core.errors import PathError


class Revision:
    """One commit of the git repo at ``root``, named by ``rev`` (any form git accepts)."""

    def __init__(self, root: Path, rev: str) -> None:
        self.root = root
        self.rev = rev
        proc = self._git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
        if proc.returncode != 0 or not proc.stdout.strip():
            msg = f"unknown git revision '{rev}' in {root}"
            raise PathError(msg)
        self.sha = proc.stdout.decode().strip()

    def _git(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        try:
            return subprocess.run(["git", "-C", str(self.root), *args], capture_output=True,
                                  check=False)
        except FileNotFoundError:
            msg = "git is not installed; a revision cannot be read without it"
            raise PathError(msg) from None

    def files(self) -> list[str]:
        """Every file path of the revision (repo-relative, posix)."""
        proc = self._git("ls-tree", "-r", "-z", "--name-only", self.sha)
        return [p for p in proc.stdout.decode(errors="surrogateescape").split("\0") if p]

    def read(self, path: str) -> bytes:
        """The bytes of ``path`` at the revision; :class:`PathError` if it has no such file."""
        proc = self._git("cat-file", "blob", f"{self.sha}:{path}")
        if proc.returncode != 0:
            msg = f"'{path}' does not exist at revision '{self.rev}'"
            raise PathError(msg)
        return proc.stdout


__all__ = ["Revision"]
