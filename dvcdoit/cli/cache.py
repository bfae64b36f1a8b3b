"""``dvcdoit cache verify`` (re-hash cache objects and report or move aside bad ones) and
``dvcdoit cache dir`` (DVC's: get, set or unset ``cache.dir``, the same bytes as ``dvc cache dir``)."""

from __future__ import annotations

import argparse

from dvcdoit.cli._common import add_level_arguments, emit, open_session
from dvcdoit.core.progress import bar
from dvcdoit.verbs.report import verify_lines


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        msg = f"expected a whole number of at least 1, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``cache`` and its sub-command ``verify``."""
    cache = sub.add_parser("cache", help="check the local cache")
    verbs = cache.add_subparsers(dest="cache_command", metavar="COMMAND")
    verbs.required = True
    p = verbs.add_parser(
        "verify", help="re-hash cache objects; report those that do not match their names",
        description="Read every byte of every cache object (or of those the given outputs "
                    "use) and report each one that does not hash to its name; exit 1 if any.")
    p.add_argument("targets", nargs="*", metavar="TARGET",
                   help="only the objects these stages, .dvc files or outputs use")
    p.add_argument("--used", action="store_true",
                   help="only the objects the workspace's .dvc files and dvc.lock use")
    p.add_argument("--repair", action="store_true",
                   help="move corrupted objects aside, to quarantine/ in the cache")
    p.add_argument("-j", "--jobs", type=_jobs, help="parallel hashing workers (default: 4)")
    p.set_defaults(func=cmd_verify)

    p = verbs.add_parser(
        "dir", help="show, set or unset the cache directory",
        description="Without PATH print the cache directory; with PATH set cache.dir (a "
                    "relative PATH is taken from the cwd and saved relative to the config file).")
    add_level_arguments(p)
    p.add_argument("value", nargs="?", metavar="PATH", help="path to the cache directory")
    p.set_defaults(func=cmd_dir)


def cmd_verify(args: argparse.Namespace) -> int:
    """Handler of ``cache verify``."""
    from dvcdoit.verbs.verify import verify

    with bar(None, "verify") as progress:
        res = verify(open_session(), args.targets, args.used, args.jobs, args.repair, progress)
    lines, code = verify_lines(res, args.repair)
    emit(lines)
    return code


def cmd_dir(args: argparse.Namespace) -> int:
    """Handler of ``cache dir``: as DVC, ``-u`` wins over a PATH given with it."""
    from pathlib import Path

    from dvcdoit.cli._common import config_dir
    from dvcdoit.formats import config as cfg
    from dvcdoit.formats import settings

    dvc_dir = config_dir(args.level)
    name = settings.OptionName(None, "cache", "dir")
    if args.unset:
        settings.unset(dvc_dir, name, args.level or "repo")
    elif args.value is not None:
        path = cfg.config_file(dvc_dir, args.level or "repo")
        value = cfg.to_config_path(path.parent, args.value, Path.cwd())
        settings.set_value(dvc_dir, name, value, args.level or "repo", Path.cwd())
    elif args.level:
        found = settings.get(dvc_dir, name, args.level)
        if found is not None:
            print(cfg.resolve_path(found.path.parent.absolute(), found.value))
    else:
        print(cfg.load_config(dvc_dir).cache_dir or dvc_dir.absolute() / "cache")
    return 0
