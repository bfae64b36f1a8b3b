"""``dvcdoit remote add|modify|default|list|remove|rename``; re-exports the push/fetch/status -c renderers.

Output matches DVC 3.67.1 line for line. The renderers turn transfer data into lines; lines
that start with ``ERROR:`` or ``WARNING:`` belong on stderr (:func:`dvcdoit.cli._common.emit`
does that).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dvcdoit.cli._common import config_dir, styled
from dvcdoit.formats import config as cfg


def _level(args: argparse.Namespace) -> str | None:
    return getattr(args, "level", None)


def _dvc_dir(args: argparse.Namespace) -> Path:
    return config_dir(_level(args))


def cmd_add(args: argparse.Namespace) -> int:
    """``remote add [-d] [-f] NAME URL``."""
    if args.default:
        print(f"Setting '{args.name.lower()}' as a default remote.")
    cfg.add_remote(_dvc_dir(args), args.name, args.url, level=_level(args) or "repo",
                   default=args.default, force=args.force, cwd=Path.cwd())
    return 0


def cmd_modify(args: argparse.Namespace) -> int:
    """``remote modify NAME OPTION VALUE`` or ``remote modify -u NAME OPTION``."""
    if args.unset == (args.value is not None):
        print("ERROR: give a VALUE, or -u/--unset without one", file=sys.stderr)
        return 3
    cfg.modify_remote(_dvc_dir(args), args.name, args.option, None if args.unset else args.value,
                      level=_level(args) or "repo", cwd=Path.cwd())
    return 0


def cmd_default(args: argparse.Namespace) -> int:
    """``remote default [NAME]`` (prints the default when NAME is omitted), ``--unset``."""
    dvc_dir = _dvc_dir(args)
    if args.name is None and not args.unset:
        current = cfg.load_config(dvc_dir, _level(args)).core_remote
        if current is None:
            print("No default remote set")
            return 1
        print(current)
        return 0
    cfg.set_default_remote(dvc_dir, None if args.unset else args.name, level=_level(args) or "repo")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """``remote list``: ``name<TAB>url[<TAB>(default)]`` with tabs expanded, as DVC's rich output."""
    conf = cfg.load_config(_dvc_dir(args), _level(args))
    lines = [f"{name}\t{remote.url}" + ("\t(default)" if name == conf.core_remote else "")
             for name, remote in conf.remotes.items()]
    if lines:
        styled("\n".join(lines))
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    """``remote remove NAME`` (also clears ``core.remote`` where it names this remote)."""
    cfg.remove_remote(_dvc_dir(args), args.name, level=_level(args) or "repo")
    return 0


def cmd_rename(args: argparse.Namespace) -> int:
    """``remote rename OLD NEW`` (also renames ``core.remote`` where it names OLD)."""
    cfg.rename_remote(_dvc_dir(args), args.name, args.new, level=_level(args) or "repo")
    return 0


def _levels(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--global", dest="level", action="store_const", const="global",
                   help="use the global config (~/.config/dvc/config)")
    g.add_argument("--system", dest="level", action="store_const", const="system",
                   help="use the system config (/etc/xdg/dvc/config)")
    g.add_argument("--project", dest="level", action="store_const", const="repo",
                   help="use the project config (.dvc/config)")
    g.add_argument("--local", dest="level", action="store_const", const="local",
                   help="use the git-ignored local config (.dvc/config.local), e.g. for secrets")


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``remote`` and its sub-commands."""
    remote = sub.add_parser("remote", help="set up and manage data remotes")
    verbs = remote.add_subparsers(dest="remote_command", metavar="COMMAND")
    verbs.required = True

    p = verbs.add_parser("add", help="add a remote")
    _levels(p)
    p.add_argument("-d", "--default", action="store_true", help="make it the default remote")
    p.add_argument("-f", "--force", action="store_true", help="overwrite an existing remote")
    p.add_argument("name")
    p.add_argument("url", help="local path (relative to cwd) or s3://bucket/prefix")
    p.set_defaults(func=cmd_add)

    p = verbs.add_parser("modify", help="set or unset an option of a remote")
    _levels(p)
    p.add_argument("-u", "--unset", action="store_true", help="remove the option")
    p.add_argument("name")
    p.add_argument("option")
    p.add_argument("value", nargs="?")
    p.set_defaults(func=cmd_modify)

    p = verbs.add_parser("default", help="show or set the default remote")
    _levels(p)
    p.add_argument("-u", "--unset", action="store_true", help="unset the default remote")
    p.add_argument("name", nargs="?")
    p.set_defaults(func=cmd_default)

    p = verbs.add_parser("list", help="list remotes")
    _levels(p)
    p.set_defaults(func=cmd_list)

    p = verbs.add_parser("remove", help="remove a remote")
    _levels(p)
    p.add_argument("name")
    p.set_defaults(func=cmd_remove)

    p = verbs.add_parser("rename", help="rename a remote")
    _levels(p)
    p.add_argument("name", help="remote to be renamed")
    p.add_argument("new", help="new name of the remote")
    p.set_defaults(func=cmd_rename)

