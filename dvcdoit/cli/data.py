"""Data verbs on the command line: ``init``, ``add``, ``checkout``, ``commit``, ``status``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the data verbs."""
    p = sub.add_parser("init", help="create DVC's repo skeleton (.dvc/, .dvcignore)")
    p.add_argument("-f", "--force", action="store_true", help="re-create an existing .dvc/")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("add", help="track files or directories: cache them, write PATH.dvc")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.set_defaults(func=cmd_add)

    p = sub.add_parser("checkout", help="restore tracked data from the cache")
    p.add_argument("targets", nargs="*", metavar="TARGET")
    p.add_argument("-f", "--force", action="store_true",
                   help="overwrite or delete workspace files that are not saved in the cache")
    p.set_defaults(func=cmd_checkout)

    p = sub.add_parser("commit", help="record changed data of tracked outputs")
    p.add_argument("targets", nargs="*", metavar="TARGET")
    p.add_argument("-f", "--force", action="store_true", help="commit without asking")
    p.set_defaults(func=cmd_commit)

    p = sub.add_parser("status", help="show changed data and stages (-c: against a remote)")
    p.add_argument("targets", nargs="*", metavar="TARGET")
    p.add_argument("--json", action="store_true", help="print the status as JSON")
    p.add_argument("-c", "--cloud", action="store_true", help="compare the cache with a remote")
    p.add_argument("-r", "--remote", help="remote to compare with (implies -c)")
    p.add_argument("-j", "--jobs", type=int, help="parallel remote requests")
    p.add_argument("-q", "--quiet", action="store_true", help="exit 1 when anything changed")
    p.set_defaults(func=cmd_status)


def _project() -> Any:
    from dvcdoit.repo.project import Project

    return Project.find()


def _targets(project: Any, targets: list[str]) -> list[str]:
    return project.targets(targets)  # type: ignore[no-any-return]


def cmd_init(args: argparse.Namespace) -> int:
    """``dvcdoit init``."""
    from dvcdoit.repo.project import init

    init(Path.cwd(), force=args.force)
    if not args_quiet(args):
        print("Initialized DVC repository.\n")
        print("You can now commit the changes to git.")
    return 0


def stage_owners(project: Any) -> dict[str, str]:
    """Repo-relative outputs of pipeline stages → stage name."""
    from dvcdoit.pipeline.index import load_index

    index = load_index(project)
    return {stage.repo_path(o.path): name for name, stage in index.stages.items()
            for o in stage.outs}


def cmd_add(args: argparse.Namespace) -> int:
    """``dvcdoit add PATH…``."""
    from dvcdoit.core.progress import bar
    from dvcdoit.repo import sources

    project = _project()
    paths = [project.resolve(p) for p in args.paths]
    owners = stage_owners(project)
    written = []
    with project.lock():
        for path in paths:
            with bar(None if path.is_dir() else 0, f"Adding {project.rel(path)}") as progress:
                written.append(sources.add(project.workspace, path, owners, progress))
    files = " ".join(sorted({project.rel(w) for w in written} | _gitignores(project, paths)))
    if not args_quiet(args):
        print(f"\nTo track the changes with git, run:\n\n\tgit add {files}")
    return 0


def args_quiet(args: argparse.Namespace) -> bool:
    """True when ``-q`` was given to dvcdoit."""
    return bool(getattr(args, "quiet", False))


def _gitignores(project: Any, paths: list[Path]) -> set[str]:
    return {project.rel(p.parent / ".gitignore") for p in paths
            if (p.parent / ".gitignore").exists()}


def cmd_checkout(args: argparse.Namespace) -> int:
    """``dvcdoit checkout [TARGET…]``: restore data sources and stage outputs from the cache."""
    from dvcdoit.core.errors import CheckoutError
    from dvcdoit.core.progress import bar
    from dvcdoit.pipeline.index import load_index
    from dvcdoit.verbs import cloud as sync
    from dvcdoit.verbs.report import summary

    project = _project()
    targets = _targets(project, args.targets)
    with project.lock(), bar(None, "Checkout") as progress:
        changed, failures = sync.checkout(project, load_index(project), targets, args.force,
                                          progress)
    for letter, path in changed:
        print(f"{letter}       {path}")
    if failures:
        raise CheckoutError(failures)
    added = sum(1 for c in changed if c[0] == "A")
    print(summary([("added", added), ("modified", len(changed) - added)])
          or "Everything is up to date.")
    return 0


def cmd_commit(args: argparse.Namespace) -> int:
    """``dvcdoit commit [TARGET…]``: record changed data sources and stages without running."""
    from dvcdoit.pipeline import stage
    from dvcdoit.pipeline.index import load_index
    from dvcdoit.repo import sources

    project = _project()
    targets = _targets(project, args.targets)
    with project.lock():
        index = load_index(project)
        for src in sources.select(list(index.sources.values()), targets, strict=False):
            sources.commit(project.workspace, src, args.force)
        for name in index.stage_order():
            sdef = index.stages[name]
            if targets and name not in targets and sdef.name not in targets:
                continue
            lock = index.locks.get(name)
            if stage.status(project.workspace, sdef, lock).changed:
                stage.record(project.root, sdef, stage.commit(project.workspace, sdef, lock))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """``dvcdoit status [TARGET…] [--json] [-c]``: stages first (pipeline order), then data."""
    from dvcdoit.pipeline.index import load_index
    from dvcdoit.pipeline.status import status_blocks
    from dvcdoit.verbs.report import render_status

    project = _project()
    targets = _targets(project, args.targets)
    if args.cloud or args.remote:
        from dvcdoit.cli.transfer import cloud_status

        return cloud_status(project, targets, args)
    blocks, tracked = status_blocks(load_index(project), targets)
    print(json.dumps(blocks) if args.json else "\n".join(render_status(blocks, tracked)))
    return 1 if (args.quiet and blocks) else 0
