"""``dvcdoit config [--local|--project|--global|--system] [-u] [-l] [--show-origin] NAME [VALUE]``.

Output and files match DVC 3.67.1's ``dvc config``: ``-l`` prints ``name=value`` per level
(system first), ``--show-origin`` prefixes each with its file (relative to the repo root for
the repo's own files) and a tab, a get prints the value alone.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dvcdoit.cli._common import add_level_arguments, config_dir


def _origin(show: bool, found_path: Path, level: str, dvc_dir: Path) -> str:
    if not show:
        return ""
    where = os.path.relpath(found_path, dvc_dir.parent) if level in ("repo", "local") \
        else str(found_path)
    return f"{where}\t"


def cmd_config(args: argparse.Namespace) -> int:
    """Get, set, unset or list config options."""
    from dvcdoit.formats import settings

    if args.show_origin and (args.value is not None or args.unset):
        return _usage("--show-origin can't be used together with any of these options: "
                      "-u/--unset, value")
    dvc_dir = config_dir(args.level)
    if args.list:
        if args.name or args.value is not None or args.unset:
            return _usage("-l/--list can't be used together with any of these options: "
                          "-u/--unset, name, value")
        for f in settings.listing(dvc_dir, args.level):
            print(f"{_origin(args.show_origin, f.path, f.level, dvc_dir)}{f.name}={f.value}")
        return 0
    if args.name is None:
        return _usage("name argument is required")
    name = settings.OptionName.parse(args.name)
    if args.unset:
        settings.unset(dvc_dir, name, args.level or "repo")
    elif args.value is not None:
        settings.set_value(dvc_dir, name, args.value, args.level or "repo", Path.cwd())
    else:
        found = settings.get(dvc_dir, name, args.level)
        if found is not None:
            print(f"{_origin(args.show_origin, found.path, found.level, dvc_dir)}{found.value}")
    return 0


def _usage(message: str) -> int:
    print(f"ERROR: {message}", file=sys.stderr)
    return 1


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``config``."""
    p = sub.add_parser("config", help="get or set config options")
    add_level_arguments(p)
    p.add_argument("-l", "--list", action="store_true", help="list all defined config values")
    p.add_argument("--show-origin", action="store_true",
                   help="show the file each config value comes from")
    p.add_argument("name", nargs="?", help="section.option or remote.name.option")
    p.add_argument("value", nargs="?", help="the value to set")
    p.set_defaults(func=cmd_config)
