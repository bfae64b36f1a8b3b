"""``dvcdoit push|pull|fetch``: the same verbs as the doit tasks of those names."""

from __future__ import annotations

import argparse

from dvcdoit.cli._common import emit, open_session
from dvcdoit.core.progress import bar
from dvcdoit.verbs.report import bar_title, sync_lines


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register push, pull and fetch."""
    for verb, text in (("push", "upload cached data to a remote"),
                       ("pull", "download data from a remote and check it out"),
                       ("fetch", "download data from a remote into the cache")):
        p = sub.add_parser(verb, help=text)
        p.add_argument("targets", nargs="*", metavar="TARGET",
                       help="stages, .dvc files or outputs (default: everything)")
        p.add_argument("-r", "--remote", help="remote name (default: core.remote)")
        p.add_argument("-j", "--jobs", type=int, help="parallel transfers (default: 4 × cores)")
        p.add_argument("--run-cache", action="store_true", help="transfer the run-cache too")
        if verb == "pull":
            p.add_argument("-f", "--force", action="store_true",
                           help="overwrite workspace files that are not saved in the cache")
        p.set_defaults(func=cmd_transfer, verb=verb)


def cmd_transfer(args: argparse.Namespace) -> int:
    """Handler of push/pull/fetch."""
    from dvcdoit.verbs import cloud

    with bar(None, bar_title(args.verb)) as progress:
        res = cloud.run(open_session(), args.verb, args.targets, args.remote, args.jobs,
                        args.run_cache, getattr(args, "force", False), progress)
    lines, code = sync_lines(args.verb, res)
    emit(lines)
    return code
