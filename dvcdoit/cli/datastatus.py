"""``dvcdoit data status``: DVC 3.67.1's sections, hints and ``--json`` (docs/manage.md)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from dvcdoit.cli._common import emit, open_session

LABELS = {"not_in_remote": "Not in remote", "not_in_cache": "Not in cache",
          "committed": "DVC committed changes", "uncommitted": "DVC uncommitted changes",
          "untracked": "Untracked files", "unchanged": "DVC unchanged files"}
HINTS = {
    "not_in_remote": ('use "dvcdoit push <file>..." to upload files',),
    "not_in_cache": ('use "dvcdoit fetch <file>..." to download files',),
    "committed": ("git commit the corresponding dvc files to update the repo",),
    "uncommitted": ('use "dvcdoit commit <file>..." to track changes',
                    'use "dvcdoit checkout <file>..." to discard changes'),
    "untracked": (('use "git add <file> ..." or "dvcdoit add <file>..." to commit to git or '
                  "to dvc"),),
}
TAB = " " * 8


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``data status``."""
    p = sub.add_parser("data", help="commands related to data management")
    dsub = p.add_subparsers(dest="data_command", metavar="COMMAND")
    dsub.required = True
    s = dsub.add_parser("status", help="show changes between the last git commit, the dvc "
                                       "files and the workspace")
    s.add_argument("targets", nargs="*", metavar="TARGET", help="limit to these paths")
    s.add_argument("--json", action="store_true", help="show output in JSON format")
    s.add_argument("--granular", action="store_true", help="show granular file-level info "
                                                           "for DVC-tracked directories")
    s.add_argument("--unchanged", action="store_true", help="show unmodified DVC-tracked files")
    s.add_argument("--untracked-files", choices=["no", "all"], default="no", const="all",
                   nargs="?", help="show files not tracked by DVC and Git")
    s.add_argument("--not-in-remote", action="store_true",
                   help="show files not in the remote")
    s.add_argument("-r", "--remote", metavar="NAME", help="the remote for --not-in-remote")
    s.set_defaults(func=cmd_data_status)


def cmd_data_status(args: argparse.Namespace) -> int:
    """Handler of ``data status``."""
    from dvcdoit.verbs.datastatus import data_status

    project = open_session().project
    targets = tuple(project.rel(project.resolve(t)) for t in args.targets)
    status = data_status(project, targets, args.granular, args.untracked_files == "all",
                         args.not_in_remote, args.remote)
    sections = status.sections()
    if not args.unchanged:
        sections.pop("unchanged", None)
    if args.json:
        emit([json.dumps(sections)])
        return 0
    emit(lines(sections, status.git_empty, status.git_dirty))
    return 0


def lines(sections: dict[str, Any], empty: bool, dirty: bool) -> list[str]:
    """DVC's text: a header per section, its hints, one tab-indented line per entry."""
    out: list[str] = []
    if not sections:
        out.append("No changes in an empty git repo." if empty else "No changes.")
    for idx, (key, value) in enumerate(sections.items()):
        if idx:
            out.append("")
        out.append(f"{LABELS[key]}:")
        out += [f"  ({hint})" for hint in HINTS.get(key, ())]
        if isinstance(value, dict):
            out += [f"{TAB}{state}: " + (" -> ".join(c.values()) if isinstance(c, dict) else c)
                    for state, changes in value.items() for c in changes]
        else:
            out += [TAB + item for item in value]
    if dirty:
        other = "other " if sections else ""
        out.append(f'(there are {other}changes not tracked by dvc, use "git status" to see)')
    return out
