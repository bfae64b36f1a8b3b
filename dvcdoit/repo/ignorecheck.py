"""``check-ignore``: whether a path is ignored, and by which ``.dvcignore`` line, as DVC reports it.

DVC 3.67.1 (``DvcIgnoreFilter.check_ignore``) merges the built-in patterns (``.hg/``,
``.git/``, ``.git``, ``.dvc/``, shown as ``:.git``) and every ``.dvcignore`` from the root
down to the target's directory into one list (deeper files later), groups consecutive
patterns of the same kind (ignore or not, directory-only or not), and tries the groups last
first; inside a group of ignore patterns the *first* matching line is the one reported. The
path is tried prefix by prefix: an ignored leading directory decides, a re-included one does
not. Each pattern is translated by :func:`dvcdoit.repo.ignore.translate`, the matcher the
walk uses; this module only adds DVC's choice of which line to name.
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass
from pathlib import Path

from dvcdoit.repo.ignore import IGNORE_FILE, DvcIgnore, translate

BUILTIN = (".hg/", ".git/", ".git", ".dvc/")


@dataclass(frozen=True)
class _Rule:
    regex: re.Pattern[str]
    ignore: bool
    dir_only: bool
    base: str  # the repo-relative dir the pattern is relative to ("" for the root)
    info: str  # what ``-d`` prints: ``.dvcignore:1:foo`` (``:.git`` for a built-in)

    def matches(self, path: str, is_dir: bool) -> bool:
        if self.base:
            if not path.startswith(self.base + "/"):
                return False
            path = path[len(self.base) + 1:]
        tries = (path, path + "/") if is_dir and not path.endswith("/") else (path,)
        return any(self.regex.match(p) for p in tries)


def _rule(line: str, base: str, info: str) -> _Rule | None:
    try:
        translated = translate(line)
    except ValueError:
        return None
    if translated is None:
        return None
    regex, ignore, dir_only = translated
    return _Rule(re.compile(regex), ignore, dir_only, base, info)


def _rules(ignore: DvcIgnore, dirname: str) -> list[_Rule]:
    """Built-ins, then each ``.dvcignore`` from the root down to ``dirname``, in file order."""
    rules = [r for r in (_rule(p, "", f":{p}") for p in BUILTIN) if r is not None]
    parts = dirname.split("/") if dirname else []
    for depth in range(len(parts) + 1):
        base = "/".join(parts[:depth])
        lines = ignore.lines_at(base)
        source = f"{base}/{IGNORE_FILE}" if base else IGNORE_FILE
        for number, line in lines or ():
            rule = _rule(line, base, f"{source}:{number}:{line}")
            if rule is not None:
                rules.append(rule)
    return rules


def _decide(groups: list[list[_Rule]], path: str, is_dir: bool) -> tuple[bool, str | None]:
    for group in reversed(groups):
        if group[0].dir_only and not is_dir:
            continue
        for rule in group if group[0].ignore else reversed(group):
            if rule.matches(path, is_dir):
                return rule.ignore, rule.info
    return False, None


def explain(ignore: DvcIgnore, root: Path, target: str) -> tuple[bool, str | None]:
    """``(ignored, pattern)`` for ``target`` (relative to the cwd): the line DVC names, or None.

    A path outside the repo, or the root itself, matches nothing.
    """
    full = os.path.normpath(os.path.abspath(target))
    rel = os.path.relpath(full, root)
    if rel == "." or rel == ".." or rel.startswith(".." + os.sep):
        return False, None
    rel = Path(rel).as_posix()
    dirname = rel.rpartition("/")[0]
    rules = _rules(ignore, dirname)
    groups = [list(g) for _, g in itertools.groupby(rules, key=lambda r: (r.ignore, r.dir_only))]
    parts = rel.split("/")
    found: str | None = None
    ignored = False
    for i in range(1, len(parts) + 1):
        last = i == len(parts)
        ignored, info = _decide(groups, "/".join(parts[:i]),
                                os.path.isdir(full) if last else True)
        if not last and not ignored:
            continue
        found = info
        if ignored:
            break
    return ignored, found
