"""Data verbs on the command line: ``init``, ``root``, ``checkout``, ``commit``, ``status``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from dvcdoit.cli._common import WHATS_NEXT, emit, open_session, quiet, styled
from dvcdoit.formats.lock import LOCK_FILE


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the data verbs."""
    p = sub.add_parser("init", help="create DVC's repo skeleton (.dvc/, .dvcignore)")
    p.add_argument("-f", "--force", action="store_true", help="re-create an existing .dvc/")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("root", help="print the path from here to the repo's root")
    p.set_defaults(func=cmd_root)

    p = sub.add_parser("checkout", help="restore tracked data from the cache")
    p.add_argument("targets", nargs="*", metavar="TARGET")
    p.add_argument("-f", "--force", action="store_true",
                   help="overwrite or delete workspace files that are not saved in the cache")
    p.add_argument("--summary", action="store_true",
                   help="show the number of files changed instead of the changes")
    p.add_argument("--relink", action="store_true",
                   help="recreate links or copies from cache to workspace")
    p.add_argument("-R", "--recursive", action="store_true",
                   help="a directory target means every stage and .dvc file below it")
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
    p.add_argument("--with-deps", action="store_true",
                   help="also show the stages the targets depend on")
    p.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                   help="print nothing; exit 1 when anything changed")
    p.set_defaults(func=cmd_status)


def cmd_root(args: argparse.Namespace) -> int:
    """``dvcdoit root``: the repo root relative to the cwd, as ``dvc root`` prints it."""
    import os

    from dvcdoit.repo.project import find_root

    print(os.path.relpath(find_root(), Path.cwd()))
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    """``dvcdoit init``."""
    from dvcdoit.repo.project import init

    init(Path.cwd(), force=args.force)
    if not quiet(args):
        print("Initialized DVC repository.\n")
        print("You can now commit the changes to git.")
        print(WHATS_NEXT)
    return 0


def cmd_checkout(args: argparse.Namespace) -> int:
    """``dvcdoit checkout [TARGET…]``: restore data sources and stage outputs from the cache."""
    from dvcdoit.core.errors import CheckoutError
    from dvcdoit.core.progress import bar
    from dvcdoit.verbs.checkout import checkout
    from dvcdoit.verbs.report import summary
    from dvcdoit.verbs.syncscope import recursed

    session = open_session()
    with session.project.lock(), bar(None, "Checkout") as progress:
        idx = session.index
        targets = recursed(idx, args.targets, Path.cwd()) if args.recursive else args.targets
        selection = idx.select(targets)
        changed, failures, n = checkout(idx, selection, args.force, progress)
        if args.relink and not failures:
            from dvcdoit.verbs.relink import relink

            relink(idx, selection)
    if args.summary:  # NOTE: DVC prints the counts instead of the changes
        print(summary([("modified", n.modified), ("added", n.added), ("deleted", n.deleted)])
              or "No changes.")
    else:
        if changed:  # NOTE: one text, so the console width is looked up once, not per line
            styled("\n".join(f"{letter}\t{path}" for letter, path in changed))
    if failures:
        raise CheckoutError(failures)
    if args.relink:
        print("Relinked successfully")  # NOTE: DVC's last line with --relink
    return 0


def cmd_commit(args: argparse.Namespace) -> int:
    """``dvcdoit commit [TARGET…]``: record changed data sources and stages without running."""
    from dvcdoit.core.errors import StageError
    from dvcdoit.verbs import commit

    session = open_session()
    with session.project.lock():
        idx = session.index
        locks = {name: (session.project.root / s.file).with_name(LOCK_FILE)
                 for name, s in idx.stages.items() if not s.single}
        existed = {p for p in locks.values() if p.exists()}
        selection = commit.select(idx, args.targets)
        first = None if args.force else commit.first_changed(idx, selection)
        if first is not None:
            what = f" {', '.join(args.targets)}" if args.targets else ""
            msg = (f"failed to commit{what} - unable to commit changed stage: '{first}'. "
                   "Use `-f|--force` to force.")
            raise StageError(msg)
        changed = commit.commit(idx, selection, args.force)
    for name in changed:  # NOTE: DVC's lines, one per stage entry it wrote
        lock = locks.get(name)
        if lock is None or quiet(args):
            continue
        if lock not in existed:
            print(f"Generating lock file '{session.project.rel(lock)}'")
            existed.add(lock)
        print(f"Updating lock file '{session.project.rel(lock)}'")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """``dvcdoit status [TARGET…] [--json] [-c]``: stages first (pipeline order), then data."""
    idx = open_session().index
    selection = idx.select(args.targets)
    if args.cloud or args.remote:
        from dvcdoit.verbs.cloud import cloud_status
        from dvcdoit.verbs.report import render_cloud_status

        name, found = cloud_status(idx, selection, args.remote, args.jobs)
        emit(render_cloud_status(found, name, args.json, indent=args.remote is None))
        return 0
    from dvcdoit.pipeline.status import status_blocks
    from dvcdoit.verbs.report import render_status

    blocks, tracked = status_blocks(idx, selection, args.with_deps)
    if not args.quiet and not quiet(args):
        import sys

        from dvcdoit.verbs.freeze import FROZEN_STATUS, frozen_names

        for name in frozen_names(idx, selection.stages, selection.sources):
            print(FROZEN_STATUS.format(name=name), file=sys.stderr)
    print(json.dumps(blocks) if args.json else "\n".join(render_status(blocks, tracked)))
    if not args.json and not args.quiet:
        from dvcdoit.tasks.doitdb import ignore_note, ignored_stages

        for name in ignored_stages([n for n in idx.stage_order() if n in blocks]):
            print(ignore_note(name))
    return 1 if (args.quiet and blocks) else 0
