"""``exp show``'s parser and handler (registered by :mod:`dvcdoit.cli.exp`): DVC 3.67.1's flags
and words (docs/experiments.md); the work is in ``dvcdoit.verbs.expshow`` and its helpers."""

from __future__ import annotations

import argparse
import json
import sys

from dvcdoit.cli._common import open_session


def _add_show(esub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = esub.add_parser("show", help="print experiments")
    p.add_argument("-A", "--all-commits", action="store_true",
                   help="show all experiments in the repository")
    p.add_argument("--rev", action="append", default=None, metavar="<commit>",
                   help="show experiments derived from <commit> (HEAD by default)")
    p.add_argument("-n", "--num", type=int, default=1, metavar="<num>",
                   help="show experiments from the last <num> commits (first parents)")
    p.add_argument("-a", "--all-branches", action="store_true",
                   help="show experiments derived from the tip of all Git branches")
    p.add_argument("-T", "--all-tags", action="store_true",
                   help="show experiments derived from all Git tags")
    p.add_argument("--no-pager", action="store_true", help="do not pipe output into a pager")
    p.add_argument("--only-changed", action="store_true",
                   help="only show metrics/params with values varying across experiments")
    p.add_argument("--drop", action="append", default=[], metavar="<regex_pattern>",
                   help="remove the columns matching the regex")
    p.add_argument("--keep", action="append", default=[], metavar="<regex_pattern>",
                   help="preserve the columns matching the regex")
    p.add_argument("--param-deps", action="store_true",
                   help="show only params that are stage dependencies")
    p.add_argument("--sort-by", metavar="<metric/param>",
                   help="sort related experiments by the metric or param")
    p.add_argument("--sort-order", choices=("asc", "desc"), default="asc",
                   help="sort order for --sort-by (default asc)")
    p.add_argument("--sha", action="store_true", help="always show git commit SHAs")
    p.add_argument("--hide-failed", action="store_true", help="hide failed experiments")
    p.add_argument("--hide-queued", action="store_true", help="hide queued experiments")
    p.add_argument("--hide-workspace", action="store_true", help="hide the workspace row")
    p.add_argument("--json", action="store_true", help="print output in JSON format")
    p.add_argument("--csv", action="store_true", help="print output in csv format")
    p.add_argument("--md", action="store_true", dest="markdown",
                   help="show tabulated output in the Markdown format (GFM)")
    p.add_argument("--precision", type=int, metavar="<n>",
                   help="round metrics/params to <n> digits (5 by default)")
    p.add_argument("--no-fetch", dest="fetch_running", action="store_false",
                   help=argparse.SUPPRESS)
    p.add_argument("-f", "--force", action="store_true",
                   help="re-collect experiments (dvcdoit keeps no exp cache)")
    p.set_defaults(func=cmd_show)


def cmd_show(args: argparse.Namespace) -> int:
    """``exp show``: DVC's table, ``--json``, ``--md`` or ``--csv``."""
    from dvcdoit.formats import table
    from dvcdoit.verbs import exptable
    from dvcdoit.verbs.exppending import pending
    from dvcdoit.verbs.expshow import Baselines, collect

    project = open_session().project
    sel = Baselines(tuple(args.rev or ()), args.all_branches, args.all_tags,
                    args.all_commits, args.num, args.hide_workspace, args.sha)
    states = collect(project, sel, pending(project, args.hide_queued, args.hide_failed))
    if args.json:
        print(json.dumps(states))
        return 0
    # NOTE: DVC 3.67.1 reads --precision only with --csv; its table always rounds to 5
    precision = (args.precision or None) if args.csv else 5
    td, headers = exptable.tabulate(states, precision, "" if args.csv else "-", args.csv,
                                    args.sort_by, args.sort_order == "desc")
    exptable.arrange(td, args.keep, args.drop, args.only_changed, args.csv)
    rows = td.rows()
    if args.csv:
        sys.stdout.write(table.csv_text(td.keys, rows))
    elif args.markdown:
        print(table.markdown(td.keys, rows))
    elif rows:
        right = [k in headers["metrics"] for k in td.keys]
        print(table.horizontals(td.keys, rows, right))
    return 0


def add_parsers(esub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``exp show``."""
    _add_show(esub)
