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
        p.add_argument("-a", "--all-branches", action="store_true",
                       help="also the data of every branch tip")
        p.add_argument("-T", "--all-tags", action="store_true", help="also the data of every tag")
        p.add_argument("-A", "--all-commits", action="store_true",
                       help="also the data of every commit")
        p.add_argument("-d", "--with-deps", action="store_true",
                       help="also the data of every stage upstream of the targets")
        p.add_argument("-R", "--recursive", action="store_true",
                       help="a directory target means every stage and .dvc file below it")
        if verb != "fetch":
            p.add_argument("--glob", action="store_true",
                           help="targets are shell-style wildcards")
        if verb == "pull":
            p.add_argument("-f", "--force", action="store_true",
                           help="overwrite workspace files that are not saved in the cache")
            p.add_argument("--allow-missing", action="store_true",
                           help="files missing from the cache and the remote are no error")
        p.set_defaults(func=cmd_transfer, verb=verb)


def cmd_transfer(args: argparse.Namespace) -> int:
    """Handler of push/pull/fetch."""
    from dvcdoit.verbs import cloud, gcscope
    from dvcdoit.verbs.syncscope import SyncScope

    session = open_session()
    revs = gcscope.Scope(all_branches=args.all_branches, all_tags=args.all_tags,
                         all_commits=args.all_commits)
    commits = gcscope.commits(session.root, revs) \
        if args.all_branches or args.all_tags or args.all_commits else []
    scope = SyncScope(glob=getattr(args, "glob", False), recursive=args.recursive,
                      with_deps=args.with_deps, commits=tuple(commits),
                      allow_missing=getattr(args, "allow_missing", False))
    with bar(None, bar_title(args.verb)) as progress:
        res = cloud.run(session, args.verb, args.targets, args.remote, args.jobs,
                        args.run_cache, getattr(args, "force", False), progress, scope=scope)
    lines, code = sync_lines(args.verb, res)
    emit(lines)
    return code
