"""The ``dvcdoit`` command line: argv → calls → printed output and exit code.

This package is the only place that prints, parses ``sys.argv`` or exits. A
:class:`~dvcdoit.core.errors.DvcDoitError` becomes one ``ERROR: …`` line on stderr and exit
code 3 (doit's "user error"); a failed stage or transfer exits 1; anything else is a bug
and shows its traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from dvcdoit import __version__
from dvcdoit.core.errors import DvcDoitError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USER_ERROR = 3


_FAMILIES = {
    "data": ("init", "add", "checkout", "commit", "status"),
    "remote": ("remote",),
    "transfer": ("push", "pull", "fetch"),
    "stage": ("run", "stage", "repro", "dag", "migrate"),
}


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """Return the top-level parser.

    Only the module of the verb named in ``argv`` is imported (every module for ``--help`` or
    an unknown verb): start-up time matters for a command run as often as ``status``.
    """
    import importlib

    parser = argparse.ArgumentParser(
        prog="dvcdoit", description="DVC 3 data versioning and pipelines, run by doit.")
    parser.add_argument("--version", action="version", version=f"dvcdoit {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    verb = next((a for a in argv if not a.startswith("-")), None)
    families = [f for f, verbs in _FAMILIES.items() if verb in verbs] or list(_FAMILIES)
    for family in families:
        importlib.import_module(f"dvcdoit.cli.{family}").add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``dvcdoit`` console script."""
    sys.exit(run(list(sys.argv[1:] if argv is None else argv)))


def run(argv: list[str]) -> int:
    """Parse ``argv``, run the handler, and turn errors into one line plus an exit code."""
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except DvcDoitError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("ERROR: interrupted by the user", file=sys.stderr)
        return 130
