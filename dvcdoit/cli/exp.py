"""``dvcdoit exp …``: DVC 3's experiments (see docs/experiments.md).

The parsers of the running verbs (``run``, ``save``, ``clean``) live in :mod:`._exprun`,
``show`` in :mod:`._expview`, ``list``, ``remove``, ``apply``, ``branch`` and ``diff`` in
:mod:`._expmanage`, ``push`` and ``pull`` in :mod:`._expsync`; this module only groups
them under ``exp``.
"""

from __future__ import annotations

import argparse

from dvcdoit.cli import _expmanage, _exprun, _expsync, _expview


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``exp`` and its subcommands."""
    p = sub.add_parser("exp", aliases=["experiments"], help="commands to run and compare experiments")
    esub = p.add_subparsers(dest="exp_command", metavar="COMMAND")
    esub.required = True
    _exprun.add_parsers(esub)
    _expview.add_parsers(esub)
    _expsync.add_parsers(esub)
    _expmanage.add_parsers(esub)
