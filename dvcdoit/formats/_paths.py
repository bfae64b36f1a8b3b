"""Which output paths a DVC file may name: inside the repo, never in ``.dvc/`` or ``.git/``.

Every parser that reads outputs (``.dvc``, ``dvc.yaml``, ``dvc.lock``, classic stage files)
asks :func:`out_problem` about each one, so that ``checkout -f`` can never overwrite
``.dvc/config`` or a git object, however the path is spelled (``sub/../.dvc/config``, a
``wdir`` of ``../.git``). DVC refuses such paths too: its built-in ignores cover ``.dvc/``
and ``.git`` at every level.
"""

from __future__ import annotations

import posixpath

PRIVATE_DIRS = (".dvc", ".git")
NAME_MAX = 255
"""The longest file name (in bytes) of the usual filesystems (ext4, xfs, btrfs, APFS)."""
PRIVATE_FIX = "outputs must lie outside .dvc/ and .git/"
"""The fix for an output inside a private directory."""


def private_dir(path: str) -> str | None:
    """Return ``.dvc`` or ``.git`` if normalised posix ``path`` lies in (or is) one, else None."""
    for part in posixpath.normpath(path).split("/"):
        if part in PRIVATE_DIRS:
            return part
    return None


def out_problem(written: str, full: str) -> tuple[str, str] | None:
    """Why an output written as ``written`` cannot be one, as ``(message, fix)``; None if it can.

    ``full`` is the output's repo-relative path (or, where the base is unknown, as written:
    a ``.dvc`` or ``.git`` component is refused either way). Outside the repo (absolute, or
    ``..`` at the front) is NOT checked here: each format words that problem its own way.
    """
    if "\x00" in written:
        return f"output {written!r} contains a NUL character", "remove it from the path"
    longest = max(len(part.encode("utf-8", "surrogateescape")) for part in full.split("/"))
    if longest > NAME_MAX:
        return (f"output path has a name of {longest} bytes, longer than {NAME_MAX}",
                "shorten it")
    where = private_dir(full)
    if where is not None:
        return f"output {written!r} is inside {where}/", PRIVATE_FIX
    return None
