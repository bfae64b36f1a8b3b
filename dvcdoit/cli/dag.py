"""``dvcdoit dag``: the stage graph as DVC 3.67.1 prints it, for each of its flags.

The default is the ASCII drawing (:mod:`dvcdoit.pipeline.dagdraw`, one picture per pipeline,
printed without a pager as DVC does off a terminal); ``--dot``, ``--mermaid`` and ``--md``
are text renderings of the same :class:`~dvcdoit.pipeline.dagview.DagView`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dvcdoit.cli._common import open_session
from dvcdoit.core.errors import DvcDoitError


class DagUsageError(DvcDoitError):
    """A flag combination DVC refuses too (``--outs`` with ``--collapse-foreach-matrix``)."""


def cmd_dag(args: argparse.Namespace) -> int:
    """``dag``: build the view DVC shows, then print it in the asked format."""
    from dvcdoit.pipeline import dagview

    if args.outs and args.collapse_foreach_matrix:
        msg = "`--outs` and `--collapse-foreach-matrix` are mutually exclusive"
        raise DagUsageError(msg)
    view = dagview.build(open_session().index, args.target, full=args.full, outs=args.outs,
                         collapse=args.collapse_foreach_matrix, cwd=Path.cwd())
    if args.dot:
        print(dagview.to_dot(view))
    elif args.mermaid or args.markdown:
        print(dagview.to_mermaid(view, markdown=args.markdown))
    else:
        from dvcdoit.pipeline.dagdraw import DrawingUnavailableError, draw, plain

        try:
            print("\n".join(draw(part.nodes, part.edges) for part in view.pipelines()))
        except DrawingUnavailableError as exc:  # NOTE: without the extra: still an answer
            print(f"WARNING: {exc}", file=sys.stderr)
            print(plain(view.nodes, view.edges))
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register dag, with DVC's flags."""
    p = sub.add_parser("dag", help="visualize the project's DAG",
                       description="Visualize DVC project DAG.")
    p.add_argument("--dot", action="store_true", help="print the DAG in .dot format")
    p.add_argument("--mermaid", action="store_true", help="print the DAG in mermaid format")
    p.add_argument("--md", action="store_true", dest="markdown",
                   help="print the DAG in mermaid format wrapped in a Markdown block")
    p.add_argument("--collapse-foreach-matrix", action="store_true",
                   help="collapse the stages of each foreach/matrix definition into one node")
    p.add_argument("--full", action="store_true",
                   help="show the whole pipeline the target belongs to, not only its ancestors")
    p.add_argument("-o", "--outs", action="store_true",
                   help="print output files instead of stages")
    p.add_argument("target", nargs="?",
                   help="stage name or output to show the pipeline of (default: all stages)")
    p.set_defaults(func=cmd_dag)
