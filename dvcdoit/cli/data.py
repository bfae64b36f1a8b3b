"""Data verbs on the command line: ``init``, ``add``, ``checkout``, ``commit``, ``status``."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from dvcdoit.errors import DvcDoitError

UP_TO_DATE = "Data and pipelines are up to date."
NOTHING_TRACKED = "There are no data or pipelines tracked in this project yet."



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
    from dvcdoit.project import Project

    return Project.find()


def _targets(project: Any, targets: list[str]) -> list[str]:
    """User targets (cwd-relative) → repo-relative posix paths (stage names pass through)."""
    out = []
    for t in targets:
        if ("/" in t or os.path.exists(t) or t.endswith(".dvc")) and ":" not in t:
            out.append(project.rel(project.resolve(t)))
        else:
            out.append(t)
    return out


def cmd_init(args: argparse.Namespace) -> int:
    """``dvcdoit init``."""
    from dvcdoit.project import init

    init(Path.cwd(), force=args.force)
    print("Initialized DVC repository.\n")
    print("You can now commit the changes to git.")
    return 0


def stage_owners(project: Any) -> dict[str, str]:
    """Repo-relative outputs of pipeline stages → stage name (empty without a pipeline module)."""
    try:
        from dvcdoit.cli.stage import stage_owners as owners
    except ImportError:
        return {}
    return owners(project)  # type: ignore[no-any-return]


def cmd_add(args: argparse.Namespace) -> int:
    """``dvcdoit add PATH…``."""
    from dvcdoit import sources
    from dvcdoit.cli.progress import bar

    project = _project()
    paths = [project.resolve(p) for p in args.paths]
    owners = stage_owners(project)
    written = []
    with project.lock():
        for path in paths:
            with bar(0, f"Adding {project.rel(path)}") as progress:
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


def _sources(project: Any, targets: list[str]) -> list[Any]:
    from dvcdoit import sources

    return sources.select(sources.load_sources(project.root, project.dvcfiles()), targets)


def cmd_checkout(args: argparse.Namespace) -> int:
    """``dvcdoit checkout [TARGET…]``: restore every (or the named) data source and stage output."""
    from dvcdoit import sources
    from dvcdoit.errors import CheckoutError

    project = _project()
    targets = _targets(project, args.targets)
    failures: list[str] = []
    changed: list[tuple[str, str]] = []
    with project.lock():
        chosen = _sources(project, targets) if not _has_stages(project) else \
            _sources_or_empty(project, targets)
        for src in chosen:
            try:
                changed += sources.checkout(project.workspace, src, args.force)
            except CheckoutError as exc:
                failures += exc.failures
        extra = _stage_checkout(project, targets, args.force)
        changed += extra[0]
        failures += extra[1]
    for letter, path in changed:
        print(f"{letter}       {path}")
    if failures:
        raise CheckoutError(failures)
    added = sum(1 for c in changed if c[0] == "A")
    modified = len(changed) - added
    summary = [f"{n} file{'s' if n != 1 else ''} {w}" for n, w in
               ((added, "added"), (modified, "modified")) if n]
    print(" and ".join(summary) if summary else "Everything is up to date.")
    return 0


def _has_stages(project: Any) -> bool:
    return (project.root / "dvc.yaml").exists()


def _sources_or_empty(project: Any, targets: list[str]) -> list[Any]:
    try:
        return _sources(project, targets)
    except DvcDoitError:
        return []


def _stage_checkout(project: Any, targets: list[str], force: bool) -> tuple[list[Any], list[str]]:
    try:
        from dvcdoit.cli.stage import checkout_stages
    except ImportError:
        return [], []
    return checkout_stages(project, targets, force)  # type: ignore[no-any-return]


def cmd_commit(args: argparse.Namespace) -> int:
    """``dvcdoit commit [TARGET…]``."""
    from dvcdoit import sources

    project = _project()
    targets = _targets(project, args.targets)
    with project.lock():
        for src in _sources_or_empty(project, targets):
            sources.commit(project.workspace, src, args.force)
        try:
            from dvcdoit.cli.stage import commit_stages
        except ImportError:
            pass
        else:
            commit_stages(project, targets, args.force)
    return 0


def data_status(project: Any, targets: list[str]) -> tuple[dict[str, list[Any]], bool, set[str]]:
    """Status blocks of the data sources, whether any exist, and which targets they matched.

    Blocks look like ``{name: [{"changed outs": {path: word}}, "changed checksum"]}``.
    """
    from dvcdoit import sources

    all_sources = sources.load_sources(project.root, project.dvcfiles())
    chosen = sources.select(all_sources, targets, strict=False)
    matched = {t for t in targets if any(sources.matches(s, t) for s in all_sources)}
    blocks: dict[str, list[Any]] = {}
    for src in chosen:
        st = sources.status(project.workspace, src)
        if st is None:
            continue
        items: list[Any] = []
        if st.outs:
            items.append({"changed outs": dict(st.outs)})
        if st.changed_checksum:
            items.append("changed checksum")
        blocks[st.name] = items
    return blocks, bool(all_sources), matched


def render_status(blocks: dict[str, list[Any]]) -> list[str]:
    """Render status blocks in DVC's human format (tabs, words padded to 20)."""
    lines: list[str] = []
    for name, items in blocks.items():
        lines.append(f"{name}:")
        for item in items:
            if isinstance(item, str):
                lines.append(f"\t{item}")
                continue
            for section, changes in item.items():
                lines.append(f"\t{section}:")
                for path, word in changes.items():
                    if isinstance(word, dict):
                        lines.append(f"\t\t{path}:")
                        lines += [f"\t\t\t{w + ':':<20}{k}" for k, w in word.items()]
                    else:
                        lines.append(f"\t\t{word + ':':<20}{path}")
    return lines


def cmd_status(args: argparse.Namespace) -> int:
    """``dvcdoit status [TARGET…] [--json] [-c]``: stages first (pipeline order), then data."""
    from dvcdoit.errors import PathError

    project = _project()
    targets = _targets(project, args.targets)
    if args.cloud or args.remote:
        from dvcdoit.cli.transfer import cloud_status

        return cloud_status(project, targets, args)  # type: ignore[no-any-return]
    blocks: dict[str, list[Any]] = {}
    tracked = False
    matched: set[str] = set()
    for provider in (_stage_status_provider(), data_status):
        if provider is None:
            continue
        b, t, m = provider(project, targets)
        for k, v in b.items():
            blocks.setdefault(k, v)
        tracked, matched = tracked or t, matched | m
    unknown = [t for t in targets if t not in matched]
    if unknown:
        msg = f"'{unknown[0]}' is neither a stage nor tracked data; check the name or path"
        raise PathError(msg)
    if args.json:
        print(json.dumps(blocks))
    elif blocks:
        print("\n".join(render_status(blocks)))
    else:
        print(UP_TO_DATE if tracked else NOTHING_TRACKED)
    return 1 if (args.quiet and blocks) else 0


def _stage_status_provider() -> Any:
    try:
        from dvcdoit.cli.stage import stage_status
    except ImportError:
        return None
    return stage_status
