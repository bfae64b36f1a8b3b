"""What the command-line modules share: opening the project, printing rendered lines.

The bottom of ``cli``: it imports no other ``cli`` module, so the verb modules never import
each other (an import-linter contract keeps it so).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # NOTE: types only; each verb imports what it needs when it runs
    from dvcdoit.pipeline.session import Session


def open_session() -> Session:
    """This command's session, on the repo containing the cwd (one-line error outside one).

    The config is loaded (and so checked against DVC's schema) by every verb, as DVC does,
    even by one that needs none of it.
    """
    from dvcdoit.pipeline.session import Session

    session = Session.find()
    _ = session.project.config
    return session


def config_dir(level: str | None) -> Path:
    """The repo's ``.dvc`` for config verbs; outside a repo only ``--global``/``--system``
    work (the cwd's ``.dvc`` then only names repo-level files, and is never read)."""
    from dvcdoit.core.errors import NotARepoError
    from dvcdoit.repo.project import find_root

    try:
        return find_root(Path.cwd()) / ".dvc"
    except NotARepoError:
        if level in ("global", "system"):
            return Path.cwd() / ".dvc"
        raise


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
