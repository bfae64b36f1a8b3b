"""``dvcdoit metrics show`` and ``metrics diff``: DVC 3.67.1's tables, ``--md`` and ``--json``
(see docs/results.md)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from dvcdoit.cli._common import add_rev_diff_arguments, open_session, print_diff_table


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``metrics show``."""
    p = sub.add_parser("metrics", help="commands to display metrics")
    msub = p.add_subparsers(dest="metrics_command", metavar="COMMAND")
    msub.required = True
    s = msub.add_parser("show", help="print metrics, with optional formatting")
    s.add_argument("targets", nargs="*", help="limit command scope to these metrics files")
    s.add_argument("--json", action="store_true", help="show output in JSON format")
    s.add_argument("--md", action="store_true", help="show tabulated output in Markdown")
    s.add_argument("--csv", action="store_true", help="show the table as CSV")
    s.add_argument("--precision", type=int, default=5, metavar="<n>",
                   help="round metrics to n digits after the decimal point (default 5)")
    s.add_argument("-a", "--all-branches", action="store_true",
                   help="show metrics for all branches")
    s.add_argument("-T", "--all-tags", action="store_true", help="show metrics for all tags")
    s.add_argument("-A", "--all-commits", action="store_true",
                   help="show metrics for all commits")
    d = msub.add_parser("diff", help="show changes in metrics between commits")
    add_rev_diff_arguments(d, "metrics")
    for q in (s, d):  # NOTE: DVC 3.67.1 expands a directory target with or without -R
        q.add_argument("-R", "--recursive", action="store_true",
                       help="if any target is a directory, search it for metrics files")
    s.set_defaults(func=cmd_show)
    d.add_argument("--precision", type=int, default=None, metavar="<n>",
                   help="round metrics to n digits after the decimal point (default 5)")
    d.set_defaults(func=cmd_diff)


def rows_of(result: dict[str, Any], precision: int,
            missing: str = "-") -> tuple[list[str], list[list[str]]]:
    """DVC's table: ``Revision`` (with several revisions), ``Path``, the sorted flat keys."""
    from dvcdoit.formats.metrics import flatten, format_value

    flat = [(rev, path, flatten(entry.get("data") or {}))
            for rev, result_rev in result.items()
            for path, entry in result_rev["data"].items()]
    keys = sorted({k for _, _, values in flat for k in values})
    first = [] if "" in result else ["Revision"]
    rows = [[*([rev] if first else []), path,
             *(format_value(values[k], precision) if k in values else missing for k in keys)]
            for rev, path, values in flat]
    return [*first, "Path", *keys], rows


def cmd_show(args: argparse.Namespace) -> int:
    """Print the workspace's metrics; warn (on stderr) about files that failed to load."""
    from dvcdoit.formats import table
    from dvcdoit.repo.revisions import select_revs
    from dvcdoit.verbs.metrics import failed_revs, show

    project = open_session().project
    many = args.all_branches or args.all_tags or args.all_commits
    revs = select_revs(project.root, (), args.all_branches, args.all_tags,
                       args.all_commits) if many else None
    result = show(project, args.targets, revs)
    failed = failed_revs(result)
    if failed:  # NOTE: DVC warns before it prints the table
        names = ", ".join(failed)  # NOTE: DVC quotes the joined list once: 'a, b'
        sys.stderr.write(f"DVC failed to load some metrics for following revisions: '{names}'.\n")
        sys.stderr.flush()
    if args.json:
        print(json.dumps(result))
        return 0
    headers, rows = rows_of(result, args.precision, "" if args.csv else "-")
    if args.csv:
        _write_csv(headers, rows)
    else:
        print((table.markdown if args.md else table.plain)(headers, rows))
    return 0


def _write_csv(headers: list[str], rows: list[list[str]]) -> None:
    """``--csv`` (a dvcdoit addition; DVC 3 has none): the table's cells, a missing value
    empty, quoted as the csv module quotes."""
    import csv

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(rows)


def _diff_rows(changes: dict[str, dict[str, Any]], precision: int) -> list[list[str]]:
    from dvcdoit.formats.metrics import format_value

    def cell(value: Any) -> str:
        return "-" if value is None else format_value(value, precision)

    return [[path, key, cell(c.get("old")), cell(c.get("new")), cell(c.get("diff"))]
            for path, items in changes.items() for key, c in items.items()]


def cmd_diff(args: argparse.Namespace) -> int:
    """``metrics diff``: DVC's Path/Metric/old/new/Change table, ``--md`` or ``--json``."""
    from dvcdoit.verbs.metrics import diff

    project = open_session().project
    failed, changes = diff(project, args.a_rev, args.b_rev, args.targets, args.all)
    if failed:
        names = ", ".join(failed)
        sys.stderr.write(f"DVC failed to load some metrics for following revisions: '{names}'.\n")
        sys.stderr.flush()
    if args.json:
        print(json.dumps(changes))
        return 0
    headers = ["Path", "Metric", args.a_rev, args.b_rev, "Change"]
    print_diff_table(args, headers, _diff_rows(changes, args.precision or 5))
    return 0
