"""``dvcdoit gc``: DVC's flags, its warning, its prompt and its lines (see docs/gc.md).

Only the workspace scope (``-w``) exists so far: the flags that need a reader of git history
(``-a``, ``-T``, ``-A``, ``--all-experiments``, ``--date``, ``--rev``, ``-n``, ``-p``) and
``--not-in-remote``/``--skip-failed`` are parsed so that each gets a one-line refusal.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from dvcdoit.cli._common import open_session, quiet
from dvcdoit.core.errors import DvcDoitError

if TYPE_CHECKING:  # NOTE: types only; the verb is imported when gc runs
    from dvcdoit.verbs.gc import GcResult

NO_SCOPE = ("Either of `-w|--workspace`, `-a|--all-branches`, `-T|--all-tags` "
            "`--all-experiments`, `--all-commits`, `--date` or `--rev` needs to be set.")
WARNING = ("WARNING: This will remove all cache except items used in the workspace of the "
           "current repo.")
PROMPT = "Are you sure you want to proceed? [y/n]: "
CHOICES = ("yes", "no", "y", "n")
_LATER = {  # dest -> the flag as a user types it; each needs what dvcdoit does not have yet
    "all_branches": "-a/--all-branches", "all_tags": "-T/--all-tags",
    "all_commits": "-A/--all-commits", "all_experiments": "--all-experiments",
    "commit_date": "--date", "rev": "--rev", "num": "-n/--num", "repos": "-p/--projects",
    "not_in_remote": "--not-in-remote", "skip_failed": "--skip-failed"}


class GcUsageError(DvcDoitError):
    """A gc flag combination dvcdoit refuses (no scope, or a scope it cannot read yet)."""


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
    later = "not supported yet (needs a reader of git revisions)"
    for flags in (("-a", "--all-branches"), ("-T", "--all-tags"), ("-A", "--all-commits"),
                  ("--all-experiments",), ("--not-in-remote",), ("--skip-failed",)):
        p.add_argument(*flags, action="store_true", help=later)
    p.add_argument("--date", dest="commit_date", metavar="YYYY-MM-DD", help=later)
    p.add_argument("--rev", metavar="COMMIT", help=later)
    p.add_argument("-n", "--num", type=int, metavar="N", help=later)
    p.add_argument("-p", "--projects", dest="repos", nargs="*", metavar="PATH", help=later)
    p.set_defaults(func=cmd_gc)


def check_flags(args: argparse.Namespace) -> None:
    """Refuse the flags dvcdoit cannot honour yet, then a gc with no scope (DVC's words)."""
    for dest, flag in _LATER.items():
        value = getattr(args, dest, None)
        if value not in (None, False):
            msg = (f"gc {flag} is not supported yet: it needs a reader of git revisions, which "
                   "dvcdoit does not have; use 'dvcdoit gc -w' (workspace only)")
            if dest in ("not_in_remote", "skip_failed"):
                msg = f"gc {flag} is not supported yet; use 'dvcdoit gc -w' (workspace only)"
            raise GcUsageError(msg)
    if not args.workspace:
        raise GcUsageError(NO_SCOPE)


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
    from dvcdoit.verbs import gc

    check_flags(args)
    session = open_session()
    if not quiet(args):
        print(WARNING, file=sys.stderr, flush=True)
    if not (args.force or args.dry) and not confirm():
        return 1
    result = gc.collect(session, cloud=args.cloud, remote=args.remote, dry=args.dry,
                        jobs=args.jobs)
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
