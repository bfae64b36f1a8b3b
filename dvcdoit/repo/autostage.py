"""``core.autostage``: ``git add`` the files a verb changed, as DVC does instead of its hint."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from dvcdoit.core.errors import DvcDoitError


def stage_files(root: Path, files: Sequence[str]) -> None:
    """``git add`` the repo-relative ``files`` that exist (one git call); a refusal by git
    is one line naming it."""
    present = sorted({f for f in files if (root / f).exists()})
    if not present:
        return
    proc = subprocess.run(["git", "-C", str(root), "add", "--", *present],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        why = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode
        msg = f"core.autostage: git add failed: {why}"
        raise DvcDoitError(msg)


__all__ = ["stage_files"]
