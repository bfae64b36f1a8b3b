"""``dvcdoit import`` and ``dvcdoit get``: data from another (local) DVC repo."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from dvcdoit.cli._common import open_session


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register import and get."""
    p = sub.add_parser("import", help="download data from a DVC repo and track it here",
                       description="Download a file or directory tracked by another DVC "
                       "project, and track it as a frozen import stage.")
    _common(p)
    p.add_argument("--no-exec", action="store_true",
                   help="only create the .dvc file, without resolving the source")
    p.add_argument("--no-download", action="store_true",
                   help="record the source's revision and hashes, download nothing")
    p.set_defaults(func=cmd_import)
    g = sub.add_parser("get", help="download data from a DVC repo (not tracked)",
                       description="Download a file or directory tracked by another DVC "
                       "project into the current directory.")
    _common(g)
    g.set_defaults(func=cmd_get)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("url", help="location of the DVC repository (a local path)")
    p.add_argument("path", help="path to a file or directory tracked in that repository")
    p.add_argument("-o", "--out", help="destination path")
    p.add_argument("--rev", help="git revision (branch, tag, commit) of the repository")
    p.add_argument("-f", "--force", action="store_true", help="override the destination")
    p.add_argument("-j", "--jobs", type=int, help="parallel downloads")


def _dest(args: argparse.Namespace) -> Path:
    """DVC's destination rule: ``-o`` (a directory gets the source's name inside), else the
    source's name in the cwd."""
    name = os.path.basename(os.path.normpath(str(args.path)))
    given = str(args.out or "")
    if not given:
        return Path.cwd() / name
    out = Path.cwd() / given
    return out / name if given.endswith("/") or out.is_dir() else out


def cmd_import(args: argparse.Namespace) -> int:
    """``import URL PATH [-o OUT] [--rev REV] [--no-exec] [--no-download] [-f] [-j N]``."""
    from dvcdoit.verbs.imports import ImportRequest, import_repo

    session = open_session()
    project = session.project
    dest = Path(os.path.normpath(_dest(args)))
    project.resolve(str(dest))  # NOTE: one line for a destination outside the repo
    print(f"Importing '{args.path} ({args.url})' -> '{project.rel(dest)}'")
    req = ImportRequest(args.url, args.path, dest, args.rev, args.force, args.no_exec,
                        args.no_download)
    with project.lock():
        written = import_repo(project, req, Path.cwd(), args.jobs)
    ignore = written.parent / ".gitignore"
    files = sorted({project.rel(written), *([project.rel(ignore)] if ignore.exists() else [])})
    print(f"\nTo track the changes with git, run:\n\n\tgit add {' '.join(files)}")
    print("\nTo enable auto staging, run:\n\n\tdvcdoit config core.autostage true")
    return 0


def cmd_get(args: argparse.Namespace) -> int:
    """``get URL PATH [-o OUT] [--rev REV] [-f] [-j N]`` (works outside a DVC repo too)."""
    from dvcdoit.verbs.imports import ImportRequest, get

    get(ImportRequest(args.url, args.path, Path(os.path.normpath(_dest(args))), args.rev,
                      args.force), Path.cwd(), args.jobs)
    return 0
