"""``dvcdoit plots show|diff|templates``: DVC's flags, its page, its ``--json`` (docs/plots.md)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from dvcdoit.cli._common import open_session
from dvcdoit.core.errors import DvcDoitError

if TYPE_CHECKING:
    from dvcdoit.verbs.plotdata import Collected

EXTRA = "pip install 'dvcdoit[plots]'"


class PlotsUsageError(DvcDoitError):
    """A plots flag or template name dvcdoit refuses."""


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``plots`` and its three subcommands."""
    p = sub.add_parser("plots", help="commands to visualize and compare plot data",
                       description="Commands to visualize and compare plot data.")
    verbs = p.add_subparsers(dest="plots_command", metavar="COMMAND")
    verbs.required = True
    show = verbs.add_parser("show", help="generate plots from target files",
                            description="Generate plots from target files.")
    show.add_argument("targets", nargs="*", metavar="TARGETS",
                      help="plots files or plot ids from dvc.yaml to visualize")
    diff = verbs.add_parser("diff", help="show multiple versions of plots",
                            description="Show multiple versions of plots by overlaying them.")
    diff.add_argument("revisions", nargs="*", metavar="REVS",
                      help="git commits to compare (the workspace when none)")
    diff.add_argument("--targets", nargs="*", default=[], metavar="TARGETS",
                      help="plots files or plot ids from dvc.yaml to visualize")
    for q in (show, diff):
        q.add_argument("-o", "--out", metavar="PATH", help="directory to save plots to")
        q.add_argument("--json", action="store_true", help="show output in JSON format")
        q.add_argument("--open", action="store_true", help="open the page in a browser")
        q.add_argument("--format", choices=("html", "png", "svg"), default="html",
                       help="html: one page (default); png/svg: one picture per plot")
        q.set_defaults(func=cmd_show)
    tpl = verbs.add_parser("templates", help="list built-in plots templates or show JSON "
                           "specification for one", description="List built-in plots "
                           "templates or show JSON specification for one.")
    tpl.add_argument("template", nargs="?", metavar="TEMPLATE", help="template to show")
    tpl.set_defaults(func=cmd_templates)


def cmd_templates(args: argparse.Namespace) -> int:
    """List DVC's template names, or print one as DVC does (one line of JSON)."""
    from dvcdoit.formats.plotdef import TEMPLATES, template

    if args.template is None:
        for name in TEMPLATES:
            print(name)
        return 0
    if args.template not in TEMPLATES:
        msg = f"Unexpected template: {args.template}."
        raise PlotsUsageError(msg)
    print(json.dumps(template(args.template)))
    return 0


def _warn(collected: list[Collected]) -> None:
    """DVC's stderr: the revisions that failed, then one warning per plot that could not be
    drawn (a file that failed to load is only in the ``--json`` errors)."""
    from dvcdoit.verbs.plots import revisions_failed

    failed = revisions_failed(collected)
    if failed:
        print(f"DVC failed to load some plots for following revisions: '{', '.join(failed)}'.",
              file=sys.stderr)
    for c in collected:
        for e in c.errors:
            if "source" not in e:
                print(f"WARNING: In '{e['rev']}', {e['msg'].lower()}", file=sys.stderr)


def cmd_show(args: argparse.Namespace) -> int:
    """Collect, then print ``--json``, or write pictures, or write the page and its URL."""
    from dvcdoit.verbs import plots
    from dvcdoit.verbs.plotpage import as_json, page

    project = open_session().project
    targets = list(getattr(args, "targets", None) or [])
    if args.plots_command == "diff":
        collected = plots.diff(project, list(args.revisions), targets)
    else:
        collected = plots.show(project, targets)
    _warn(collected)
    out = plots.output_dir(project, args.out)
    if args.json:
        print(json.dumps(as_json(collected, out)))
        return 0
    if args.format != "html":
        return _pictures(collected, out, args.format)
    index = page(collected, out)
    print(index.as_uri())
    if args.open:
        import webbrowser

        webbrowser.open(index.as_uri())
    return 0


def _pictures(collected: list[Collected], out: object, fmt: str) -> int:
    from pathlib import Path

    from dvcdoit.verbs.plotpage import pictures

    try:
        written = pictures(collected, Path(str(out)), fmt)
    except ImportError:
        msg = f"--format {fmt} needs vl-convert-python: {EXTRA}"
        raise PlotsUsageError(msg) from None
    for path in written:
        print(path)
    return 0
