"""What the command-line modules share: opening the project, printing rendered lines.

The bottom of ``cli``: it imports no other ``cli`` module, so the verb modules never import
each other (an import-linter contract keeps it so).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # NOTE: types only; each verb imports what it needs when it runs
    from dvcdoit.pipeline.index import Index
    from dvcdoit.repo.project import Project


def find_project() -> Project:
    """The project containing the cwd (one-line error outside of a repo)."""
    from dvcdoit.repo.project import Project

    return Project.find()


def load_index(project: Project) -> Index:
    """``project``'s index, loaded once for this command."""
    from dvcdoit.pipeline import index

    return index.load_index(project)


def quiet(args: argparse.Namespace) -> bool:
    """True when ``-q`` was given to dvcdoit."""
    return bool(getattr(args, "quiet", False))


def emit(lines: Iterable[str]) -> None:
    """Print ``lines``: ``ERROR:``/``WARNING:`` ones (and what follows a warning) to stderr."""
    to_err = False
    for line in lines:
        if line.startswith(("ERROR:", "WARNING:")):
            to_err = True
        elif not line.startswith("name: "):
            to_err = False
        print(line, file=sys.stderr if to_err else sys.stdout)
