"""``.gitignore`` entries for cached outputs, as DVC writes them (spec §13), and git checks.

Each output gets ``/`` + its basename, gitignore specials backslash-escaped, in the
``.gitignore`` of its parent directory (created if absent). A line is appended only if no
identical line exists and, inside a git work tree, ``git check-ignore`` does not already report
the path ignored (one batched git call for all paths). Removal deletes the line and deletes the
file if nothing is left. Outputs that git tracks are refused (one ``git ls-files`` call).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dvcdoit.core import fsutil
from dvcdoit.core.errors import PathError

if TYPE_CHECKING:
    import subprocess

GITIGNORE = ".gitignore"
_SPECIAL = "\\[]!*#?"


def escape(name: str) -> str:
    r"""Backslash-escape gitignore special characters (``\ [ ] ! * # ?``), as pathspec does."""
    return "".join(f"\\{c}" if c in _SPECIAL else c for c in name)


def entry_for(out_relpath: str) -> tuple[str, str]:
    r"""Return ``(gitignore_relpath, line)`` for a repo-relative posix output path.

    >>> entry_for("data/#hash")
    ('data/.gitignore', '/\\#hash')
    """
    parent, _, name = out_relpath.rstrip("/").rpartition("/")
    return (f"{parent}/{GITIGNORE}" if parent else GITIGNORE), escape(f"/{name}")


def in_git_work_tree(root: Path) -> bool:
    """True if ``root`` is inside a git work tree (a ``.git`` dir or file at or above it)."""
    here = Path(root).resolve()
    return any((p / ".git").exists() for p in (here, *here.parents))


def _git(root: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    import subprocess  # NOTE: imported when used: start-up of status

    try:
        return subprocess.run(["git", *args], cwd=root, input=stdin, capture_output=True,
                              text=True, check=False)
    except FileNotFoundError:
        msg = "git is not installed, but this repo is a git work tree; install git"
        raise PathError(msg) from None


def git_ignored(root: Path, relpaths: Sequence[str]) -> set[str]:
    """Return which of ``relpaths`` git already ignores (one ``git check-ignore`` call).

    Outside a git work tree nothing is ignored by git.
    """
    if not relpaths or not in_git_work_tree(root):
        return set()
    proc = _git(root, "check-ignore", "-z", "--stdin", stdin="\0".join(relpaths) + "\0")
    if proc.returncode not in (0, 1):
        msg = f"git check-ignore failed: {proc.stderr.strip() or proc.returncode}"
        raise PathError(msg)
    return {p for p in proc.stdout.split("\0") if p}


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return ""


def _lines(text: str) -> set[str]:
    return {x.rstrip("\r") for x in text.split("\n")}


def check_untracked(root: Path, out_relpaths: Sequence[str]) -> None:
    """Raise :class:`PathError` if git tracks any of the outputs (or, for a dir, a file in it)."""
    if not out_relpaths or not in_git_work_tree(root):
        return
    proc = _git(root, "--literal-pathspecs", "ls-files", "-z", "--", *out_relpaths)
    if proc.returncode != 0:
        msg = f"git ls-files failed: {proc.stderr.strip() or proc.returncode}"
        raise PathError(msg)
    tracked = [p for p in proc.stdout.split("\0") if p]
    for out in out_relpaths:
        o = out.rstrip("/")
        if any(t == o or t.startswith(o + "/") for t in tracked):
            msg = (f"{o}: already tracked by git; stop tracking it first: "
                   f"git rm -r --cached '{o}' && git commit -m \"stop tracking {o}\"")
            raise PathError(msg)


class Gitignores:
    """The work tree's ``.gitignore`` files, with git's answers remembered for this session.

    NOTE: a repro asks git about every stage's outputs once (:meth:`prime`) instead of
    spawning git per stage; only our own appends change the answers meanwhile, and
    :meth:`add` records those.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._known: dict[str, bool] | None = None
        """``git check-ignore`` answers for files; None until :meth:`prime` is called."""
        self.changed: list[str] = []
        """Every ``.gitignore`` this session changed, in order (for the git hint)."""

    def prime(self, out_relpaths: Sequence[str]) -> None:
        """Ask git once about all of ``out_relpaths`` (whose line is missing) and remember it."""
        known = self._known if self._known is not None else {}
        self._known = known
        ask = []
        for out in out_relpaths:
            path = out.rstrip("/")
            gi, line = entry_for(path)
            if path not in known and line not in _lines(_read(self.root / gi)):
                ask.append(path)
        ignored = git_ignored(self.root, ask)
        known.update({p: p in ignored for p in ask})

    @property
    def primed(self) -> bool:
        """True once :meth:`prime` has asked git."""
        return self._known is not None

    def _ignored(self, paths: Sequence[str]) -> set[str]:
        """:func:`git_ignored`, answered from :meth:`prime`'s memo for paths that are files."""
        known = self._known or {}
        hits = {p for p in paths if p in known and not (self.root / p).is_dir()}
        # NOTE: directories are asked again: a "name/" pattern cannot match a path not yet created
        return {p for p in hits if known[p]} | git_ignored(
            self.root, [p for p in paths if p not in hits])

    def add(self, out_relpaths: Sequence[str]) -> list[str]:
        """Add the ``.gitignore`` entries for outputs, in order; return the ``.gitignore``s changed.

        A final newline is added to a non-empty file that lacks one before appending. Paths git
        already ignores and lines already present are skipped.
        """
        root = self.root
        texts: dict[str, str] = {}
        pending: dict[str, list[tuple[str, str]]] = {}
        for out in out_relpaths:
            gi, line = entry_for(out)
            if gi not in texts:
                texts[gi] = _read(root / gi)
            if line not in _lines(texts[gi]):
                pending.setdefault(gi, []).append((out.rstrip("/"), line))
        # NOTE: git is asked only about lines still missing (a rerun of a stage spawns no git)
        ignored = self._ignored([o for lines in pending.values() for o, _ in lines])
        changed = []
        for gi, items in pending.items():
            new = list(dict.fromkeys(line for out, line in items if out not in ignored))
            if not new:
                continue
            text = texts[gi]
            if text and not text.endswith("\n"):
                text += "\n"
            fsutil.atomic_write(root / gi, (text + "".join(f"{x}\n" for x in new)).encode("utf-8"))
            changed.append(gi)
            if gi not in self.changed:
                self.changed.append(gi)
            if self._known is not None:
                self._known.update({out: True for out, _line in items})
        return changed


def add(root: Path, out_relpaths: Sequence[str]) -> list[str]:
    """:meth:`Gitignores.add` without a session's memo (one ``git check-ignore`` call)."""
    return Gitignores(root).add(out_relpaths)


def remove(root: Path, out_relpath: str) -> str | None:
    """Delete the output's line from its ``.gitignore``; delete the file if it ends up empty.

    Returns the ``.gitignore`` relpath if it changed (or was deleted), else None. NOTE: DVC
    compares the *unescaped* entry and so never removes an escaped one; we remove either form.
    """
    gi, line = entry_for(out_relpath)
    raw = "/" + out_relpath.rstrip("/").rpartition("/")[2]
    path = Path(root) / gi
    try:
        lines = path.read_bytes().decode("utf-8").splitlines(keepends=True)
    except FileNotFoundError:
        return None
    kept = [x for x in lines if x.strip() not in (line, raw)]
    if kept == lines:
        return None
    if not kept:
        os.unlink(path)
    else:
        fsutil.atomic_write(path, "".join(kept).encode("utf-8"))
    return gi
