"""``dvcdoit metrics show``: DVC 3.67.1's table, ``--md`` and ``--json`` (see docs/metrics.md)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from dvcdoit.cli._common import open_session


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``metrics show``."""
    p = sub.add_parser("metrics", help="commands to display metrics")
    msub = p.add_subparsers(dest="metrics_command", metavar="COMMAND")
    msub.required = True
    s = msub.add_parser("show", help="print metrics, with optional formatting")
    s.add_argument("targets", nargs="*", help="limit command scope to these metrics files")
    s.add_argument("--json", action="store_true", help="show output in JSON format")
    s.add_argument("--md", action="store_true", help="show tabulated output in Markdown")
    s.add_argument("--precision", type=int, default=5, metavar="<n>",
                   help="round metrics to n digits after the decimal point (default 5)")
    s.set_defaults(func=cmd_show)


def rows_of(result: dict[str, Any], precision: int) -> tuple[list[str], list[list[str]]]:
    """DVC's table for one workspace result: ``Path`` then the sorted flattened keys."""
    from dvcdoit.formats.metrics import flatten, format_value

    flat = {path: flatten(entry.get("data") or {})
            for path, entry in result[""]["data"].items()}
    keys = sorted({k for values in flat.values() for k in values})
    rows = [[path, *(format_value(values[k], precision) if k in values else "-" for k in keys)]
            for path, values in flat.items()]
    return ["Path", *keys], rows


def cmd_show(args: argparse.Namespace) -> int:
    """Print the workspace's metrics; warn (on stderr) about files that failed to load."""
    from dvcdoit.formats import table
    from dvcdoit.verbs.metrics import failed_revs, show

    session = open_session()
    result = show(session.project.root, args.targets)
    if args.json:
        print(json.dumps(result))
    else:
        headers, rows = rows_of(result, args.precision)
        print((table.markdown if args.md else table.plain)(headers, rows))
    failed = failed_revs(result)
    if failed:
        revs = ", ".join(f"'{r}'" for r in failed)
        print(f"DVC failed to load some metrics for following revisions: {revs}.", file=sys.stderr)
    return 0
