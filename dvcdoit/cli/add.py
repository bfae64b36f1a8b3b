"""``dvcdoit add``: track files or directories, as DVC 3.67.1's ``dvc add`` does.

Plain ``add`` caches the paths and writes ``PATH.dvc`` (:mod:`dvcdoit.repo.sources`);
``-o OUT`` and ``--to-remote`` take the data from elsewhere (:mod:`dvcdoit.verbs.addout`).
The flag combinations DVC refuses are refused first, with DVC's words.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from dvcdoit.cli._common import open_session, quiet
from dvcdoit.core.errors import DvcDoitError

if TYPE_CHECKING:
    from dvcdoit.pipeline.index import Index
    from dvcdoit.pipeline.session import Session
    from dvcdoit.repo.project import Project


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``add``."""
    p = sub.add_parser("add", help="track files or directories: cache them, write PATH.dvc")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--no-commit", action="store_true",
                   help="record the hashes but do not put the data into the cache")
    p.add_argument("--glob", action="store_true", help="paths are shell-style wildcards")
    p.add_argument("-o", "--out", metavar="OUT",
                   help="track the data at OUT (copied from PATH, which may be outside the repo)")
    p.add_argument("--to-remote", action="store_true",
                   help="upload the data straight to the remote, not into the cache")
    p.add_argument("-r", "--remote", metavar="NAME", help="remote to upload to (--to-remote)")
    p.add_argument("--remote-jobs", "-j", dest="remote_jobs", type=int, metavar="N",
                   help="parallel uploads (--to-remote)")
    p.add_argument("-f", "--force", action="store_true",
                   help="override OUT if it exists (-o)")
    p.set_defaults(func=cmd_add)


def refusal(args: argparse.Namespace) -> str | None:
    """DVC's words for a combination of flags it refuses (``CmdAdd.validate_args``), or None."""
    if args.to_remote or args.out:
        also = "--to-remote" if args.to_remote else "--out"
        if len(args.paths) != 1:
            return f"multiple targets can't be used with {also}"
        if args.glob:
            return f"--glob option can't be used with {also}"
        if args.no_commit:
            return f"--no-commit option can't be used with {also}"
        return None
    if args.remote:
        return "--remote can't be used without --to-remote"
    if args.remote_jobs:
        return "--remote-jobs can't be used without --to-remote"
    return None


def stage_owners(index: Index) -> dict[str, str]:
    """Repo-relative outputs of pipeline stages → stage name."""
    return {stage.repo_path(o.path): name for name, stage in index.stages.items()
            for o in stage.outs}


def cmd_add(args: argparse.Namespace) -> int:
    """``dvcdoit add PATH… [--no-commit] [--glob] [-o OUT] [--to-remote [-r NAME]] [-f]``."""
    why = refusal(args)
    if why is not None:
        raise DvcDoitError(why)
    session = open_session()
    outside = bool(args.out or args.to_remote)
    written = _add_out(session, args) if outside else _add_paths(session, args)
    _hint(session.project, args, written, outside)
    return 0


def _add_out(session: Session, args: argparse.Namespace) -> list[Path]:
    """``add PATH -o OUT`` / ``add PATH --to-remote``; the files to ``git add``."""
    from dvcdoit.core.progress import bar
    from dvcdoit.verbs.addout import AddRequest, add_out

    req = AddRequest(args.paths[0], args.out, args.to_remote, args.remote, args.remote_jobs,
                     args.force)
    project = session.project
    with project.lock(), bar(None, f"Adding {req.target}") as progress:
        return add_out(project, req, Path.cwd(), stage_owners(session.index), progress)


def _add_paths(session: Session, args: argparse.Namespace) -> list[Path]:
    """Plain ``add PATH…``; the files to ``git add``."""
    from dvcdoit.core.progress import bar
    from dvcdoit.repo import sources

    project = session.project
    typed = args.paths
    if args.glob:
        from dvcdoit.verbs.syncscope import globbed

        typed = globbed(typed, Path.cwd())
    paths = [project.resolve(p) for p in typed]
    owners = stage_owners(session.index)
    known = dict(session.index.sources)
    written = []
    with project.lock():
        for path in paths:
            inside = sources.tracked_dir(known.values(), project.rel(path))
            with bar(None if path.is_dir() else 0, f"Adding {project.rel(path)}") as progress:
                if inside is not None and not args.no_commit:
                    dvc_path = sources.add_inside(project.workspace, path, *inside, progress)
                    for src in sources.load_sources(project.root, [dvc_path]):
                        known[src.relpath] = src
                    written.append(dvc_path)
                    continue
                written.append(sources.add(project.workspace, path, owners, progress,
                                           commit=not args.no_commit))
    added = [p for p, w in zip(paths, written, strict=True) if w.name == p.name + ".dvc"]
    return sorted(set(written) | _gitignores(added))


def _hint(project: Project, args: argparse.Namespace, written: list[Path],
          from_cwd: bool) -> None:
    """Stage ``written`` (``core.autostage``) or print DVC's git hint for them: named from
    the cwd as DVC names them (``from_cwd``), else from the repo root (plain ``add``)."""
    from dvcdoit.verbs.report import track_hint

    files = sorted({project.rel(p) for p in written})
    if project.config.autostage and not project.config.no_scm:
        from dvcdoit.repo.autostage import stage_files

        stage_files(project.root, files)
    elif not quiet(args) and not project.config.no_scm:
        print(track_hint([os.path.relpath(p, Path.cwd()) for p in written] if from_cwd
                         else files))


def _gitignores(paths: list[Path]) -> set[Path]:
    return {p.parent / ".gitignore" for p in paths if (p.parent / ".gitignore").exists()}
