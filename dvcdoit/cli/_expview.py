"""The parsers and handlers of ``exp`` subcommands (registered by :mod:`dvcdoit.cli.exp`)."""

from __future__ import annotations

import argparse


def add_parsers(esub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register this module's exp subcommands (none yet)."""
    del esub
