"""``dvcdoit params diff``: DVC 3.67.1's table, ``--md`` and ``--json`` (see docs/results.md)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from dvcdoit.cli._common import add_rev_diff_arguments, open_session, print_diff_table


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``params diff``."""
    p = sub.add_parser("params", help="commands to display params")
    psub = p.add_subparsers(dest="params_command", metavar="COMMAND")
    psub.required = True
    d = psub.add_parser("diff", help="show changes in params between commits")
    add_rev_diff_arguments(d, "params")
    d.add_argument("--deps", action="store_true", help="only the params stages depend on")
    d.set_defaults(func=cmd_diff)


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


def cmd_diff(args: argparse.Namespace) -> int:
    """``params diff``: DVC's Path/Param/old/new table, ``--md`` or ``--json``."""
    from dvcdoit.verbs.params import diff

    project = open_session().project
    changes = diff(project, args.a_rev, args.b_rev, args.targets, args.all, args.deps)
    if args.json:
        print(json.dumps(changes))
        return 0
    rows = [[path, key, _cell(c.get("old")), _cell(c.get("new"))]
            for path, items in changes.items() for key, c in items.items()]
    print_diff_table(args, ["Path", "Param", args.a_rev, args.b_rev], rows)
    return 0
