"""``dvcdoit params diff``: DVC 3.67.1's table, ``--md`` and ``--json`` (see docs/results.md)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from dvcdoit.cli._common import open_session


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``params diff``."""
    p = sub.add_parser("params", help="commands to display params")
    psub = p.add_subparsers(dest="params_command", metavar="COMMAND")
    psub.required = True
    d = psub.add_parser("diff", help="show changes in params between commits")
    d.add_argument("a_rev", nargs="?", default="HEAD", help="old Git commit (default HEAD)")
    d.add_argument("b_rev", nargs="?", default="workspace",
                   help="new Git commit (default: the workspace)")
    d.add_argument("--targets", nargs="*", default=[], metavar="<paths>",
                   help="params files to compare")
    d.add_argument("--all", action="store_true", help="show unchanged params as well")
    d.add_argument("--deps", action="store_true", help="only the params stages depend on")
    d.add_argument("--json", action="store_true", help="show output in JSON format")
    d.add_argument("--md", action="store_true", help="show tabulated output in Markdown")
    d.add_argument("--no-path", action="store_true", help="don't show the params path")
    d.set_defaults(func=cmd_diff)


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


def cmd_diff(args: argparse.Namespace) -> int:
    """``params diff``: DVC's Path/Param/old/new table, ``--md`` or ``--json``."""
    from dvcdoit.formats import table
    from dvcdoit.verbs.params import diff

    project = open_session().project
    changes = diff(project, args.a_rev, args.b_rev, args.targets, args.all, args.deps)
    if args.json:
        print(json.dumps(changes))
        return 0
    headers = ["Path", "Param", args.a_rev, args.b_rev]
    rows = [[path, key, _cell(c.get("old")), _cell(c.get("new"))]
            for path, items in changes.items() for key, c in items.items()]
    if args.no_path:
        headers, rows = headers[1:], [row[1:] for row in rows]
    if rows or args.md:
        print((table.markdown if args.md else table.plain)(headers, rows))
    return 0
