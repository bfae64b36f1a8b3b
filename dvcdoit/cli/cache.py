"""``dvcdoit cache verify``: re-hash cache objects and report (or move aside) bad ones."""

from __future__ import annotations

import argparse

from dvcdoit.cli._common import emit, open_session
from dvcdoit.core.progress import bar
from dvcdoit.verbs.report import verify_lines


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        msg = f"expected a whole number of at least 1, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``cache`` and its sub-command ``verify``."""
    cache = sub.add_parser("cache", help="check the local cache")
    verbs = cache.add_subparsers(dest="cache_command", metavar="COMMAND")
    verbs.required = True
    p = verbs.add_parser(
        "verify", help="re-hash cache objects; report those that do not match their names",
        description="Read every byte of every cache object (or of those the given outputs "
                    "use) and report each one that does not hash to its name; exit 1 if any.")
    p.add_argument("targets", nargs="*", metavar="TARGET",
                   help="only the objects these stages, .dvc files or outputs use")
    p.add_argument("--used", action="store_true",
                   help="only the objects the workspace's .dvc files and dvc.lock use")
    p.add_argument("--repair", action="store_true",
                   help="move corrupted objects aside, to quarantine/ in the cache")
    p.add_argument("-j", "--jobs", type=_jobs, help="parallel hashing workers (default: 4)")
    p.set_defaults(func=cmd_verify)


def cmd_verify(args: argparse.Namespace) -> int:
    """Handler of ``cache verify``."""
    from dvcdoit.verbs.verify import verify

    with bar(None, "verify") as progress:
        res = verify(open_session(), args.targets, args.used, args.jobs, args.repair, progress)
    lines, code = verify_lines(res, args.repair)
    emit(lines)
    return code
