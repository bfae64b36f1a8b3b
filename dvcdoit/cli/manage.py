"""Housekeeping verbs in DVC's words: ``remove``/``rm``, ``move``/``mv``, ``freeze``,
``unfreeze``, ``unprotect``.

See docs/manage.md for what DVC 3.67.1 was measured to print and write.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from dvcdoit.cli._common import open_session, quiet


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the housekeeping verbs."""
    p = sub.add_parser("remove", aliases=["rm"],
                       help="remove stages from dvc.yaml and/or stop tracking files or directories")
    p.add_argument("--outs", action="store_true", help="remove outputs as well")
    p.add_argument("targets", nargs="+", metavar="TARGET",
                   help=".dvc files or stages from dvc.yaml to remove")
    p.set_defaults(func=cmd_remove)
    for verb, word in (("freeze", "Freeze"), ("unfreeze", "Unfreeze")):
        p = sub.add_parser(verb, help=f"{word} stages or .dvc files")
        p.add_argument("targets", nargs="+", metavar="TARGET",
                       help=f"stages or .dvc files to {verb}")
        p.set_defaults(func=cmd_freeze, frozen=verb == "freeze")
    p = sub.add_parser("unprotect", help="replace links to the cache with writable copies")
    p.add_argument("targets", nargs="+", metavar="TARGET",
                   help="data files/directories to unprotect")
    p.set_defaults(func=cmd_unprotect)
    p = sub.add_parser("move", aliases=["mv"],
                       help="rename or move a DVC controlled data file or a directory")
    p.add_argument("src", help="source path to a data file or directory")
    p.add_argument("dst", help="destination path")
    p.set_defaults(func=cmd_move)


def cmd_remove(args: argparse.Namespace) -> int:
    """``dvcdoit remove TARGET… [--outs]``: prints nothing, as DVC."""
    from dvcdoit.verbs.remove import remove

    session = open_session()
    with session.project.lock():
        remove(session.index, args.targets, args.outs, Path.cwd())
    return 0


def cmd_freeze(args: argparse.Namespace) -> int:
    """``dvcdoit freeze|unfreeze TARGET…``: DVC's ``Modifying stage …`` per dvc.yaml stage."""
    from dvcdoit.verbs.freeze import set_frozen

    session = open_session()
    with session.project.lock():
        lines = set_frozen(session.index, args.targets, args.frozen, Path.cwd())
    if not quiet(args):
        for line in lines:
            print(line)
    return 0


def cmd_unprotect(args: argparse.Namespace) -> int:
    """``dvcdoit unprotect TARGET…``: each path, as DVC (tracked or not); prints nothing."""
    from dvcdoit.verbs.unprotect import unprotect_targets

    session = open_session()
    with session.project.lock():
        unprotect_targets(args.targets, Path.cwd())
    return 0


def cmd_move(args: argparse.Namespace) -> int:
    """``dvcdoit move SRC DST``: then DVC's git hint."""
    from dvcdoit.verbs.move import move

    session = open_session()
    with session.project.lock():
        files = move(session.index, args.src, args.dst, Path.cwd())
    if not quiet(args):
        print(f"\nTo track the changes with git, run:\n\n\tgit add {' '.join(files)}")
        print("\nTo enable auto staging, run:\n\n\tdvcdoit config core.autostage true")
    return 0
