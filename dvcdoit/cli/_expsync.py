"""``exp push`` and ``exp pull`` (registered by :mod:`dvcdoit.cli.exp`): DVC 3.67.1's flags
and lines; the work is in :mod:`dvcdoit.verbs.expsync`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from dvcdoit.cli._common import emit, fit, open_session

NO_CACHE_HINT = {
    "push": "To push cached outputs for this experiment to DVC remote storage,re-run this "
            "command without '--no-cache'.",
    # NOTE: DVC's words, its missing spaces included
    "pull": "To pull cached outputs for this experimentfrom DVC remote storage,re-run this "
            "command without '--no-cache'.",
}


def _join(names: list[str]) -> str:
    """DVC's ``humanize.join``: ``a``, ``a and b``, ``a, b and c``."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _add(esub: Any, verb: str) -> None:
    p = esub.add_parser(verb, help=f"{verb} experiments {'to' if verb == 'push' else 'from'} "
                        "a Git remote")
    p.add_argument("git_remote", metavar="git_remote", help="Git remote name or URL")
    p.add_argument("experiment", nargs="*", help="experiments to move (name or ref)")
    p.add_argument("-A", "--all-commits", action="store_true",
                   help=f"{verb} all experiments in the repository")
    p.add_argument("--rev", action="append", default=None, metavar="<commit>",
                   help=f"{verb} experiments derived from <commit> (HEAD by default)")
    p.add_argument("-n", "--num", type=int, default=1, metavar="<num>",
                   help="experiments of the last <num> commits from --rev")
    p.add_argument("-f", "--force", action="store_true",
                   help="replace the experiment on the other side if it differs")
    p.add_argument("--no-cache", action="store_false", dest="move_cache",
                   help=f"do not {verb} the experiments' cached outputs")
    p.add_argument("-r", "--remote", dest="dvc_remote", metavar="<name>",
                   help="the DVC remote for the cached outputs")
    p.add_argument("-j", "--jobs", type=int, metavar="<number>", help="parallel transfers")
    p.add_argument("--run-cache", action="store_true",
                   help=f"{verb} the run-cache too")
    p.set_defaults(func=cmd_sync, verb=verb)


def _data_lines(res: Any, verb: str) -> tuple[list[str], int]:
    from dvcdoit.verbs.report import summary, sync_lines

    if res.data is None:
        return [], 0
    if not res.data.ok:
        return sync_lines("push" if verb == "push" else "fetch", res.data)
    if verb == "pull":
        return [], 0  # NOTE: DVC's exp pull says nothing of the objects it fetched
    runs = len(res.data.runs.transferred) if res.data.runs else 0
    line = summary([("uploaded", len(res.data.result.transferred) + runs)])
    return [line] if line else [], 0


def _ref_lines(res: Any, verb: str, remote: str) -> list[str]:
    lines: list[str] = []
    if verb == "pull":
        if res.diverged:
            sys.stderr.write(f"WARNING: Local experiment '{[e.name for e in res.diverged]}' has "
                             "diverged from remote experiment with the same name. To override "
                             "the local experiment re-run with '--force'.\n")
        names = [e.name for e in res.success]
        return [f"Pulled experiment '{names}' from Git remote '{remote}'." if names
                else "No experiments to pull."]
    if res.diverged:
        sys.stderr.write(fit(f"Local experiment {_join([e.name for e in res.diverged])} has "
                             "diverged from remote experiment with the same name.\nTo override "
                             "the remote experiment re-run with '--force'.") + "\n")
    if res.up_to_date:
        verb_word = "are" if len(res.up_to_date) > 1 else "is"
        lines.append(fit(f"Experiment {_join([e.name for e in res.up_to_date])} {verb_word} "
                         f"up to date on Git remote '{remote}'."))
    if res.success:
        lines.append(fit(f"Pushed experiment {_join([e.name for e in res.success])} to Git "
                         f"remote '{remote}'."))
    if not res.up_to_date and not res.success:
        lines.append("No experiments to push.")
    return lines


def cmd_sync(args: argparse.Namespace) -> int:
    """``exp push`` / ``exp pull``."""
    from dvcdoit.core.progress import bar
    from dvcdoit.verbs import expsync

    session = open_session()
    which = expsync.Which(tuple(args.experiment), args.all_commits, tuple(args.rev or ()),
                         args.num)
    cache = expsync.Cache(args.move_cache, args.dvc_remote, args.jobs, args.run_cache)
    act = expsync.push if args.verb == "push" else expsync.pull
    with bar(None, "Pushing" if args.verb == "push" else "Fetching") as progress:
        res = act(session, args.git_remote, which, args.force, cache, progress)
    lines = _ref_lines(res, args.verb, args.git_remote)
    data, code = _data_lines(res, args.verb)
    emit(lines + data + ([] if args.move_cache else [NO_CACHE_HINT[args.verb]]))
    return code


def add_parsers(esub: Any) -> None:
    """Register ``exp push`` and ``exp pull``."""
    _add(esub, "push")
    _add(esub, "pull")
