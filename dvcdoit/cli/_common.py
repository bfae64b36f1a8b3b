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


def console_width() -> int:
    """The width DVC's rich console wraps at: ``COLUMNS`` when it is a number, else the size
    of the first of stdin, stdout and stderr that is a terminal, else 80."""
    import os

    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit():
        return int(columns) or 80
    for fd in (0, 1, 2):
        try:
            return os.get_terminal_size(fd).columns or 80
        except (OSError, ValueError):
            continue
    return 80


def fit(text: str) -> str:
    """``text`` as DVC's ``ui.write(..., styled=True)`` prints it: tabs expanded and lines
    wrapped at :func:`console_width` (:mod:`dvcdoit.formats.richwrap`)."""
    from dvcdoit.formats.richwrap import wrap

    return wrap(text, console_width())


def styled(text: str) -> None:
    """Print ``text`` as :func:`fit` lays it out."""
    print(fit(text))


def emit(lines: Iterable[str]) -> None:
    """Print ``lines``: ``ERROR:``/``WARNING:`` ones (and what follows a warning) to stderr."""
    to_err = False
    for line in lines:
        if line.startswith(("ERROR:", "WARNING:")):
            to_err = True
        elif not line.startswith("name: "):
            to_err = False
        print(line, file=sys.stderr if to_err else sys.stdout)


def add_rev_diff_arguments(p: argparse.ArgumentParser, noun: str) -> None:
    """The arguments ``metrics diff`` and ``params diff`` share, with DVC's names."""
    p.add_argument("a_rev", nargs="?", default="HEAD", help="old Git commit (default HEAD)")
    p.add_argument("b_rev", nargs="?", default="workspace",
                   help="new Git commit (default: the workspace)")
    p.add_argument("--targets", nargs="*", default=[], metavar="<paths>",
                   help=f"{noun} files to compare")
    p.add_argument("--all", action="store_true", help=f"show unchanged {noun} as well")
    p.add_argument("--json", action="store_true", help="show output in JSON format")
    p.add_argument("--md", action="store_true", help="show tabulated output in Markdown")
    p.add_argument("--no-path", action="store_true", help=f"don't show the {noun} path")


def print_diff_table(args: argparse.Namespace, headers: list[str],
                     rows: list[list[str]]) -> None:
    """A diff table as DVC prints it: ``--no-path`` drops the first column; nothing at all
    when nothing changed, except ``--md``'s header."""
    from dvcdoit.formats import table

    if args.no_path:
        headers, rows = headers[1:], [row[1:] for row in rows]
    if rows or args.md:
        print((table.markdown if args.md else table.plain)(headers, rows))


WHATS_NEXT = """
What's next?
------------
- Check out the documentation: <https://dvc.org/doc>
- Get help and share ideas: <https://dvc.org/chat>
- Star us on GitHub: <https://github.com/treeverse/dvc>"""
"""DVC's lines after ``init`` (its documentation applies to dvcdoit as it is)."""


def add_level_arguments(p: argparse.ArgumentParser) -> None:
    """DVC's config-level flags (``--global|--system|--project|--local``, into ``level``) and
    ``-u/--unset``, as ``config`` and ``cache dir`` take them."""
    g = p.add_mutually_exclusive_group()
    for flag, level, text in (("--global", "global", "use the global config"),
                              ("--system", "system", "use the system config"),
                              ("--project", "repo", "use the project config (.dvc/config)"),
                              ("--local", "local", "use the local config (.dvc/config.local)")):
        g.add_argument(flag, dest="level", action="store_const", const=level, help=text)
    p.add_argument("-u", "--unset", action="store_true", help="unset the option")
