"""``dvcdoit ls``: the files of a DVC repo (local path or git URL), git's and DVC's."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from dvcdoit.core.errors import DvcDoitError, PathError


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ls (and DVC's alias, list)."""
    p = sub.add_parser("ls", aliases=["list"],
                       help="list repository contents, tracked by DVC and by Git",
                       description="List repository contents, including files and "
                       "directories tracked by DVC and by Git.")
    p.add_argument("url", help="location of the DVC repository (local path or git URL)")
    p.add_argument("path", nargs="?", default="",
                   help="path to a directory within the repository to list outputs for")
    p.add_argument("-R", "--recursive", action="store_true", help="recursively list files")
    p.add_argument("--dvc-only", action="store_true", help="show only DVC outputs")
    p.add_argument("--json", action="store_true", help="show output in JSON format")
    p.add_argument("--rev", help="git revision (e.g. SHA, branch, tag)")
    p.set_defaults(func=cmd_ls)


def cmd_ls(args: argparse.Namespace) -> int:
    """``ls URL [PATH] [--rev REV] [-R] [--dvc-only] [--json]``, printed as DVC prints it."""
    from dvcdoit.storage.remotes.urls import safe
    from dvcdoit.verbs.listing import clean, entries, listing

    try:
        found, workspace = entries(args.url, args.rev, Path.cwd(), args.dvc_only,
                                   (clean(args.path), args.recursive))
    except DvcDoitError as exc:
        msg = f"failed to list '{safe(args.url)}' - {exc}"
        raise PathError(msg) from None
    rows = listing(found, args.path, args.recursive, args.dvc_only, workspace)
    if args.json:
        print(json.dumps([e.to_json() for e in rows]))
    else:
        for e in rows:
            print(e.path)
    return 0
