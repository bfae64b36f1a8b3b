"""``.dvcignore`` files plus DVC's built-in ignores, and the ignore-aware directory walk.

Semantics follow DVC 3.67.1 (``dvc/ignore.py`` on pathspec 1.x ``GitIgnoreSpecPattern``):
gitignore syntax, a ``.dvcignore`` at any level whose patterns are relative to its own
directory, last matching pattern wins, deeper files override shallower ones, an ignored
directory is never entered (so nothing below it can be re-included). Each line is stripped
of surrounding blanks, as DVC does. Built in: ``.git`` (file or dir), ``.hg/`` and ``.dvc/``
dirs, and subrepos (dirs containing ``.dvc``). NOTE: DVC lets a user ``!.git`` pattern undo a
built-in; here built-ins always win.

Speed: each ``.dvcignore`` compiles to one regex per kind (file / dir) whose alternatives are
the patterns in reverse order, so one ``re.match`` finds the last matching pattern. With no
patterns at all, the walk does no matching work beyond four name comparisons.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from dvcdoit.core import tempname
from dvcdoit.core.errors import HashingError, PathError, Problems

IGNORE_FILE = ".dvcignore"
_ALWAYS = ".git"  # ignored as a file or a dir
_DIR_NAMES = frozenset({".git", ".hg", ".dvc"})


class _RangeError(ValueError):
    """Invalid ``[...]`` notation: git discards such a pattern."""


def _glob_segment(seg: str) -> str:
    """Translate one path segment glob to regex (pathspec ``_translate_segment_glob``)."""
    out, i, end, escape = [], 0, len(seg), False
    while i < end:
        ch = seg[i]
        i += 1
        if escape:
            escape = False
            out.append(re.escape(ch))
        elif ch == "\\":
            escape = True
        elif ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            expr, i = _glob_range(seg, i)
            out.append(expr)
        else:
            out.append(re.escape(ch))
    if escape:
        msg = "a trailing backslash escapes nothing"
        raise ValueError(msg)
    return "".join(out)


def _glob_range(seg: str, i: int) -> tuple[str, int]:
    """Translate the ``[...]`` starting just after ``seg[i - 1]``; return it and the next index."""
    end, j = len(seg), i
    if j < end and seg[j] in "!^":
        j += 1
    if j < end and seg[j] == "]":
        j += 1
    while j < end and seg[j] != "]":
        j += 1
    if j >= end:
        raise _RangeError(seg)
    j += 1
    expr = "["
    if seg[i] in "!^":
        expr += "^"
        i += 1
    return expr + seg[i:j].replace("\\", "\\\\"), j


def translate(pattern: str) -> tuple[str, bool, bool] | None:
    """Return ``(regex, ignore, dir_only)`` for one gitignore line, or None for a no-op line.

    ``regex`` is meant for ``re.match`` against a path relative to the ``.dvcignore``'s
    directory, with a trailing ``/`` for directories. Raises ValueError for an invalid pattern.
    """
    pat = pattern if pattern.endswith("\\ ") else pattern.rstrip()
    if not pat or pat.startswith("#") or pat == "/":
        return None
    ignore = not pat.startswith("!")
    if not ignore:
        pat = pat[1:]
    segs = pat.split("/")
    dir_only = not segs[-1]
    if not segs[0]:
        del segs[0]
    elif (len(segs) == 1 or (len(segs) == 2 and not segs[1])) and segs[0] != "**":
        segs.insert(0, "**")
    if not segs:
        msg = "the pattern is empty after normalising"
        raise ValueError(msg)
    if not segs[-1]:
        segs[-1] = "**"
    segs = [s for k, s in enumerate(segs) if not (k and s == "**" and segs[k - 1] == "**")]
    if segs in (["**"], ["**", "*"], ["**", "*", "**"]):
        # NOTE: pathspec's overrides: "**"/"*" match everything; "**/" and "*/" become a bare
        # "/" that re.match never finds in a relative path (so DVC ignores nothing with them).
        never = segs == ["**", "*", "**"] or (segs == ["**"] and dir_only)
        return ("/" if never else "."), ignore, dir_only
    try:
        regex = _segments_regex(segs)
    except _RangeError:
        return None
    return regex, ignore, dir_only


def _segments_regex(segs: list[str]) -> str:
    """The ``re.match`` regex for normalised pattern segments (``**`` runs collapsed)."""
    parts = []
    need_slash, last = False, len(segs) - 1
    for k, seg in enumerate(segs):
        if seg == "**":
            parts.append("^(?:.+/)?" if k == 0 else "(?:/.+)?" if k < last else "/")
            need_slash = need_slash or 0 < k < last
            continue
        if k == 0:
            parts.append("^")
        if need_slash:
            parts.append("/")
        parts.append("[^/]+" if seg == "*" else _glob_segment(seg))
        if k == last:
            parts.append("(?:/|$)")
        need_slash = True
    return "".join(parts)


@dataclass(frozen=True)
class _Patterns:
    """One ``.dvcignore``: combined regexes for files and for dirs (None when no pattern)."""

    dirname: str  # repo-relative posix dir of the .dvcignore ("" for the root)
    file_re: re.Pattern[str] | None
    dir_re: re.Pattern[str] | None
    lines: tuple[tuple[int, str], ...] = ()  # (line number, pattern): for ``check-ignore -d``

    def decide(self, rel: str, is_dir: bool) -> bool | None:
        """True (ignored) / False (re-included) by the last matching pattern, None if none match."""
        rx = self.dir_re if is_dir else self.file_re
        if rx is None:
            return None
        m = rx.match(rel + "/" if is_dir else rel)
        if m is None:
            return None
        return (m.lastgroup or "x").startswith("x")


def _combine(rules: list[tuple[str, bool]]) -> re.Pattern[str] | None:
    if not rules:
        return None
    alts = [f"(?P<{'x' if ign else 'i'}{n}>{rx})" for n, (rx, ign) in enumerate(rules)]
    return re.compile("|".join(reversed(alts)))


def compile_patterns(text: str, dirname: str, source: str) -> _Patterns:
    """Compile the text of a ``.dvcignore`` living in repo-relative dir ``dirname``.

    Invalid lines are reported together in one :class:`FormatError` (``source:LINE``).
    """
    rules: list[tuple[str, bool, bool]] = []
    kept: list[tuple[int, str]] = []
    problems = Problems(source, sep=": ")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for lineno, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        kept.append((lineno, line))
        try:
            rule = translate(line)
        except ValueError as exc:
            problems.add(f"line {lineno}", f"invalid pattern {line!r}: {exc}")
            continue
        if rule is not None:
            rules.append(rule)
    problems.raise_if_any()
    return _Patterns(dirname,
                     _combine([(rx, ign) for rx, ign, d in rules if not d]),
                     _combine([(rx, ign) for rx, ign, _ in rules]), tuple(kept))


def _rel_to(path: str, dirname: str) -> str:
    return path[len(dirname) + 1:] if dirname else path


class DvcIgnore:
    """The ignore rules of one repo; ``.dvcignore`` files are read lazily and cached."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._by_dir: dict[str, _Patterns | None] = {}

    @classmethod
    def load(cls, root: Path) -> DvcIgnore:
        """Return the rules for the repo at ``root`` (reads the root ``.dvcignore`` now)."""
        ign = cls(root)
        ign._patterns_at("")
        return ign

    def _patterns_at(self, dirname: str) -> _Patterns | None:
        """The compiled ``.dvcignore`` of repo-relative dir ``dirname``, or None."""
        try:
            return self._by_dir[dirname]
        except KeyError:
            pass
        rel = f"{dirname}/{IGNORE_FILE}" if dirname else IGNORE_FILE
        try:
            data = (self.root / rel).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            pats = None
        else:
            parent = dirname.rpartition("/")[0]
            chain = self._chain(parent) if dirname else []
            if self._decide(chain, rel, is_dir=False):
                pats = None  # NOTE: DVC skips a .dvcignore that is itself ignored
            else:
                pats = compile_patterns(data.decode("utf-8", "replace"), dirname, rel)
        self._by_dir[dirname] = pats
        return pats

    def lines_at(self, dirname: str) -> tuple[tuple[int, str], ...] | None:
        """The ``(line number, pattern)`` lines of dir ``dirname``'s ``.dvcignore`` that DVC
        reads, or None when it has none (or it is itself ignored)."""
        pats = self._patterns_at(dirname)
        return None if pats is None else pats.lines

    def _chain(self, dirname: str) -> list[_Patterns]:
        """The ``.dvcignore`` files that apply inside ``dirname``, deepest first."""
        dirs = [""]
        if dirname:
            parts = dirname.split("/")
            dirs += ["/".join(parts[: k + 1]) for k in range(len(parts))]
        found = [self._patterns_at(d) for d in reversed(dirs)]
        return [p for p in found if p is not None]

    @staticmethod
    def _decide(chain: list[_Patterns], relpath: str, is_dir: bool) -> bool:
        for pats in chain:
            verdict = pats.decide(_rel_to(relpath, pats.dirname), is_dir)
            if verdict is not None:
                return verdict
        return False

    def is_ignored(self, relpath: str, is_dir: bool) -> bool:
        """True if repo-relative posix ``relpath`` is ignored (itself or through a parent dir).

        Checks each leading directory top-down, as a walk that prunes ignored dirs would.
        """
        parts = [p for p in relpath.split("/") if p not in ("", ".")]
        for k, name in enumerate(parts):
            last = k == len(parts) - 1
            here_dir = is_dir or not last
            path = "/".join(parts[: k + 1])
            if name == _ALWAYS or (here_dir and name in _DIR_NAMES):
                return True
            if here_dir and os.path.lexists(self.root / path / ".dvc"):
                return True  # a subrepo
            if self._decide(self._chain("/".join(parts[:k])), path, here_dir):
                return True
        return False

    def walk_files(self, abs_dir: Path) -> list[tuple[str, os.stat_result]]:
        """List the files of ``abs_dir`` that DVC would track: ``(relpath_posix, stat)`` pairs.

        Regular files, and symlinks to files (stat followed). Symlinks to dirs are skipped;
        a broken symlink is a :class:`HashingError`. Ignored dirs are pruned, subrepos skipped,
        and a ``.dvcignore`` inside ``abs_dir`` is a :class:`PathError`. Order is unspecified.
        dvcdoit's own temp files (:mod:`~dvcdoit.core.tempname`) are never listed: they are
        not user data; stale ones (a killed run's) are removed on the way.
        """
        top = os.fspath(abs_dir)
        top_rel = Path(os.path.relpath(top, self.root)).as_posix()
        top_rel = "" if top_rel == "." else top_rel
        # NOTE: a .dvcignore with only comments (dvc init's) must cost nothing per file
        chain = [p for p in self._chain(top_rel) if p.file_re is not None or p.dir_re is not None]
        result: list[tuple[str, os.stat_result]] = []
        stack = [(top, "")]
        while stack:
            path, rel = stack.pop()
            with os.scandir(path) as it:
                entries = list(it)
            if any(e.name.startswith(tempname.PREFIX) for e in entries):
                entries = _drop_temps(entries)
            names = {e.name for e in entries}
            if ".dvc" in names and (path != top or top_rel):
                continue  # a subrepo: DVC hashes it as empty
            if IGNORE_FILE in names:
                bad = f"{top_rel}/{rel}{IGNORE_FILE}" if top_rel else f"{rel}{IGNORE_FILE}"
                msg = (f"{bad}: a .dvcignore inside a tracked directory is not allowed "
                       "(DVC refuses it); move its patterns to a .dvcignore above it")
                raise PathError(msg)
            repo_rel = f"{top_rel}/{rel}" if top_rel else rel
            checks = [(p, _rel_to(repo_rel, p.dirname)) for p in chain] if chain else None
            _scan(entries, rel, checks, stack, result)
        return result


def _drop_temps(entries: list[os.DirEntry[str]]) -> list[os.DirEntry[str]]:
    """``entries`` without dvcdoit's temp files; the stale ones are removed from disk."""
    kept = []
    for e in entries:
        if not tempname.is_ours(e.name):
            kept.append(e)
            continue
        try:
            ctime = e.stat(follow_symlinks=False).st_ctime
        except OSError:
            continue
        if tempname.is_stale(e.path, ctime):
            with contextlib.suppress(OSError):
                os.unlink(e.path)
    return kept


def _scan(entries: list[os.DirEntry[str]], rel: str, checks: list[tuple[_Patterns, str]] | None,
          stack: list[tuple[str, str]], result: list[tuple[str, os.stat_result]]) -> None:
    """Sort one directory's entries into ``stack`` (dirs to enter) and ``result`` (files)."""
    for e in entries:
        name = e.name
        if e.is_dir(follow_symlinks=False):
            if name not in _DIR_NAMES and not (checks and _check(checks, name, True)):
                stack.append((e.path, f"{rel}{name}/"))
        elif e.is_file(follow_symlinks=False):
            if name != _ALWAYS and not (checks and _check(checks, name, False)):
                result.append((rel + name, e.stat(follow_symlinks=False)))
        elif e.is_symlink() and name != _ALWAYS and not (checks and _check(checks, name, False)):
            try:
                st = os.stat(e.path)
            except OSError:
                msg = f"{e.path}: broken symlink inside a tracked directory; fix or remove it"
                raise HashingError(msg) from None
            if stat.S_ISREG(st.st_mode):
                result.append((rel + name, st))


def _check(checks: list[tuple[_Patterns, str]], name: str, is_dir: bool) -> bool:
    for pats, base in checks:
        verdict = pats.decide(base + name, is_dir)
        if verdict is not None:
            return verdict
    return False
