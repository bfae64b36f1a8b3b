"""``dvcdoit diff``: DVC 3.67.1's text, ``--md``, ``--json`` and ``--show-hash`` (docs/diff.md).

``b_rev`` defaults to the workspace: what the outputs hold on disk now.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from dvcdoit.cli._common import open_session
from dvcdoit.core.errors import DvcDoitError

if TYPE_CHECKING:  # NOTE: types only; the verb is imported when diff runs
    from dvcdoit.verbs.datadiff import Change, DataDiff

SECTIONS = (("added", "Added"), ("deleted", "Deleted"), ("renamed", "Renamed"),
            ("modified", "Modified"), ("not_in_cache", "Not in cache"))


class DiffUsageError(DvcDoitError):
    """A diff dvcdoit cannot make yet, or a revision git does not know."""


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register diff."""
    p = sub.add_parser("diff", help="show added, modified, or deleted data between commits",
                       description="Show added, modified, or deleted data between commits in "
                                   "the DVC repository, or between a commit and the workspace.")
    p.add_argument("--targets", nargs="*", metavar="<paths>", default=[],
                   help="specific DVC-tracked files to compare")
    p.add_argument("--json", action="store_true", help="format the output into a JSON")
    p.add_argument("--show-hash", action="store_true", help="display hash value for each entry")
    p.add_argument("--md", action="store_true", help="show tabulated output in Markdown (GFM)")
    p.add_argument("--hide-missing", action="store_true", help="hide missing cache file status")
    p.add_argument("a_rev", nargs="?", default="HEAD", help="old git commit (default HEAD)")
    p.add_argument("b_rev", nargs="?", help="new git commit (default the workspace)")
    p.set_defaults(func=cmd_diff)


def cmd_diff(args: argparse.Namespace) -> int:
    """Handler of diff: compute the changes, print them in the form asked."""
    from dvcdoit.core.errors import PathError
    from dvcdoit.repo.revisions import WORKSPACE
    from dvcdoit.verbs.datadiff import data_diff

    session = open_session()
    try:
        result = data_diff(session.project, args.a_rev, args.b_rev or WORKSPACE,
                           tuple(args.targets))
    except PathError as exc:
        if "unknown Git revision" not in str(exc):
            raise
        bad = args.a_rev if f"'{args.a_rev}'" in str(exc) else args.b_rev
        msg = f"failed to get diff - unknown Git revision '{bad}'"
        raise DiffUsageError(msg) from None
    text = render_json(result, args.hide_missing) if args.json else \
        render_md(result, args.hide_missing) if args.md else \
        render_text(result, args.hide_missing, args.show_hash)
    if text:
        print(text)
    return 0


def _groups(result: DataDiff, hide_missing: bool) -> list[tuple[str, str, list[Change]]]:
    """(key, title, changes) per section, ``not in cache`` dropped under ``--hide-missing``."""
    return [(key, title, getattr(result, key)) for key, title in SECTIONS
            if getattr(result, key) is not None and not (hide_missing and key == "not_in_cache")]


def _name(change: Change) -> str:
    return f"{change.old_path} -> {change.path}" if change.old_path else change.path


def _hash(change: Change, key: str) -> str:
    if key == "modified":
        return f"{change.old_hash[:8]}..{change.new_hash[:8]}"
    return (change.old_hash if key == "deleted" else change.new_hash)[:8]


def render_text(result: DataDiff, hide_missing: bool, show_hash: bool) -> str:
    """DVC's sections, then ``files summary: …`` counting files (not ``dir/`` entries)."""
    blocks: list[str] = []
    counts: list[str] = []
    for key, title, changes in _groups(result, hide_missing):
        if not changes:
            continue
        rows = [f"    {_hash(c, key) + '  ' if show_hash else ''}{_name(c)}" for c in changes]
        blocks.append("\n".join([f"{title}:", *rows]))
        files = sum(1 for c in changes if not c.path.endswith("/"))
        if files:
            counts.append(f"{files} {title.lower() if key != 'not_in_cache' else 'not in cache'}")
    if not blocks:
        return ""
    return "\n\n".join([*blocks, "files summary: " + ", ".join(counts)])


def render_json(result: DataDiff, hide_missing: bool) -> str:
    """DVC's one-line JSON: ``{}`` when nothing changed."""
    groups = _groups(result, hide_missing)
    if not any(changes for _, _, changes in groups):
        return "{}"
    out: dict[str, list[dict[str, object]]] = {}
    for key, _, changes in groups:
        name = "not in cache" if key == "not_in_cache" else key
        out[name] = [{"path": {"old": c.old_path, "new": c.path} if c.old_path else c.path}
                     for c in changes]
    order = ("added", "deleted", "modified", "renamed", "not in cache")
    return json.dumps({k: out[k] for k in order if k in out})


def render_md(result: DataDiff, hide_missing: bool) -> str:
    """DVC's GFM table: ``Status`` and ``Path``, columns padded to the widest cell."""
    from dvcdoit.formats import table

    rows = [(key.replace("_", " "), _name(c))
            for key, _, changes in _groups(result, hide_missing) for c in changes]
    return table.markdown(["Status", "Path"], rows)
