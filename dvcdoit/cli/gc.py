"""``dvcdoit gc``: DVC's flags, its warning, its prompt and its lines (see docs/gc.md).

The scope (``-w``, ``-a``, ``-T``, ``-A``, ``--all-experiments``, ``--date``, ``--rev``,
``-n``) is :class:`dvcdoit.verbs.gcscope.Scope`; ``-p`` adds other repos' scopes.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from dvcdoit.cli._common import open_session, quiet
from dvcdoit.core.errors import DvcDoitError

if TYPE_CHECKING:  # NOTE: types only; the verb is imported when gc runs
    from dvcdoit.verbs.gc import GcResult
    from dvcdoit.verbs.gcscope import Scope

WARNING = "WARNING: This will remove all cache except items used in "
PROMPT = "Are you sure you want to proceed? [y/n]: "
CHOICES = ("yes", "no", "y", "n")


class GcUsageError(DvcDoitError):
    """A gc flag combination DVC refuses too (``--not-in-remote`` with ``--cloud``)."""


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register gc."""
    p = sub.add_parser("gc", help="garbage collect unused objects from the cache or a remote",
                       description="Removes all files in the cache or a remote which are not "
                                   "in use by the current workspace.")
    p.add_argument("-w", "--workspace", action="store_true",
                   help="keep data files used in the current workspace")
    p.add_argument("-c", "--cloud", action="store_true",
                   help="collect garbage in remote storage in addition to the local cache")
    p.add_argument("-r", "--remote", metavar="NAME", help="remote storage to collect garbage in")
    p.add_argument("-f", "--force", action="store_true",
                   help="force garbage collection: agree to the prompt")
    p.add_argument("-j", "--jobs", type=int, metavar="N", help="processes deleting objects")
    p.add_argument("--dry", action="store_true",
                   help="only print what would get removed, remove nothing")
    p.add_argument("-a", "--all-branches", action="store_true",
                   help="keep data files for the tips of all git branches")
    p.add_argument("-T", "--all-tags", action="store_true",
                   help="keep data files for all git tags")
    p.add_argument("-A", "--all-commits", action="store_true",
                   help="keep data files for all git commits")
    p.add_argument("--all-experiments", action="store_true",
                   help="keep data files for all experiments")
    p.add_argument("--date", dest="commit_date", metavar="YYYY-MM-DD",
                   help="keep data files used in commits made on or after this date")
    p.add_argument("--rev", metavar="COMMIT",
                   help="keep data files used in this commit (and -n before it)")
    p.add_argument("-n", "--num", type=int, metavar="N",
                   help="keep data files of the last N commits of --rev or of each branch")
    p.add_argument("-p", "--projects", dest="repos", nargs="*", metavar="PATH", default=[],
                   help="keep data files used by these other repos sharing the cache")
    p.add_argument("--not-in-remote", action="store_true",
                   help="keep only used data files that are missing from the remote")
    p.add_argument("--skip-failed", action="store_true",
                   help="skip revisions whose DVC files cannot be read (a warning each)")
    p.set_defaults(func=cmd_gc)


def scope_of(args: argparse.Namespace) -> Scope:
    """The scope the flags name, checked as DVC checks it (before anything is read)."""
    from dvcdoit.verbs.gcscope import Scope

    scope = Scope(workspace=args.workspace, rev=args.rev, num=args.num,
                  all_branches=args.all_branches, all_tags=args.all_tags,
                  all_commits=args.all_commits, all_experiments=args.all_experiments,
                  commit_date=args.commit_date)
    if args.not_in_remote and args.cloud:
        msg = "`--not-in-remote` and `--cloud` are mutually exclusive"  # NOTE: DVC's words
        raise GcUsageError(msg)
    scope.check()
    return scope


def warning(args: argparse.Namespace, scope: Scope) -> str:
    """DVC's warning line, naming what is kept."""
    text = WARNING + scope.warning()
    if args.not_in_remote:
        text += " that are not present in the DVC remote"
    if args.repos:
        text += " of the current and the following repos:"
        text += "".join(f"\n  - {os.path.abspath(path)}" for path in args.repos)
        return text
    return text + " of the current repo."


def confirm() -> bool:
    """Ask DVC's question on stdout until the answer is one of its choices; EOF means no."""
    while True:
        print(PROMPT, end="", flush=True)
        try:
            line = sys.stdin.readline()
        except OSError:  # NOTE: no usable stdin (a captured test run): as EOF
            return False
        if not line:
            return False
        answer = line.strip().lower()
        if answer in CHOICES:
            return answer.startswith("y")
        print(f"Your response must be one of: {list(CHOICES)}. Please try again.")


def cmd_gc(args: argparse.Namespace) -> int:
    """Handler of gc: check flags, warn, ask (unless ``-f`` or ``--dry``), collect, report."""
    from pathlib import Path

    from dvcdoit.verbs import gc

    scope = scope_of(args)
    session = open_session()
    if not quiet(args):
        print(warning(args, scope), file=sys.stderr, flush=True)
    if not (args.force or args.dry) and not confirm():
        return 1
    options = gc.GcOptions(scope=scope, projects=tuple(Path(p) for p in args.repos),
                           cloud=args.cloud, remote=args.remote, not_in_remote=args.not_in_remote,
                           force=args.force or args.dry, skip_failed=args.skip_failed,
                           dry=args.dry, jobs=args.jobs)
    result = gc.collect(session, options)
    for line in result.warnings:
        print(f"WARNING: {line}", file=sys.stderr)
    if not quiet(args):
        for line in lines(result):
            print(line)
    return 0


def lines(result: GcResult) -> list[str]:
    """DVC's lines for a gc result: ``Removing …`` per object on a dry run, then the counts."""
    out: list[str] = []
    if result.dry:
        out += [f"Removing {result.cache_dir}/{o[:2]}/{o[2:]}" for o in result.local.ordered()]
    n = result.local.count
    out.append(f"Removed {n} objects from repo cache." if n else "No unused 'repo' cache to remove.")
    out.append("No unused 'legacy' cache to remove.")
    if result.remote is not None:
        if result.dry:
            out += [f"Removing {result.remote_dir}/{o[:2]}/{o[2:]}" for o in result.remote.ordered()]
        n = result.remote.count
        out.append(f"Removed {n} objects from remote." if n else
                   "No unused cache to remove from remote.")
        out.append("No unused cache to remove from remote.")
    return out
