"""``exp list``, ``exp remove``, ``exp apply``, ``exp branch``, ``exp diff``: DVC 3.67.1's flags
and words (docs/experiments.md). Registered by :mod:`dvcdoit.cli.exp`; the work is in
:mod:`dvcdoit.verbs.expname` and :mod:`dvcdoit.verbs.expapply`.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from dvcdoit.cli._common import open_session

if TYPE_CHECKING:
    from pathlib import Path

    from dvcdoit.repo.exprefs import ExpRef

NO_FORCE = ("The --no-force option is deprecated and will be removed in a future DVC "
            "release. To revert the result of 'exp apply', run:\n\n\tgit reset --hard\n"
            "\tgit stash apply refs/exps/apply/stash\n")


def _baselines(root: Path, revs: list[str] | None, num: int) -> set[str]:
    """The baselines of ``--rev`` (``HEAD`` by default) and ``-n``, as DVC's ``iter_revs``."""
    from dvcdoit.verbs.expshow import Baselines, baseline_shas

    return set(baseline_shas(root, Baselines(tuple(revs or ()), num=num)))


def _joined(words: list[str]) -> str:
    """DVC's ``humanize.join``: ``a``, ``a and b``, ``a, b and c``."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def cmd_list(args: argparse.Namespace) -> int:
    """``exp list``: ``BASELINE:`` then ``\\tsha7 [name]`` lines (``\\tname`` on a remote)."""
    from dvcdoit.repo.exprefs import ExperimentError
    from dvcdoit.verbs import expname
    from dvcdoit.verbs.expshow import describe

    if args.sha_only and args.git_remote:
        msg = "--sha-only not supported with git_remote."
        raise ExperimentError(msg)
    root = open_session().project.root
    if expname.head_sha(root) is None:
        return 0
    wanted = None if args.all_commits else _baselines(root, args.rev, args.num)
    grouped = expname.by_baseline(expname.refs_of(root, args.git_remote), wanted)
    bare = args.name_only or args.sha_only
    names = {} if bare else describe(root, list(grouped))
    for baseline, found in grouped.items():
        if not bare:
            print(f"{names.get(baseline) or baseline[:7]}:")
        for exp, sha in found:
            if args.name_only:
                print(exp.name)
            elif args.sha_only:
                print(sha)
            else:
                # NOTE: DVC names a git remote's experiments only (it has not their commits)
                print(f"\t{exp.name}" if args.git_remote else f"\t{sha[:7]} [{exp.name}]")
    return 0


def _unresolved(names: list[str], remote: str | None) -> Exception:
    from dvcdoit.repo.exprefs import ExperimentError

    joined = "; ".join(names)
    if remote:
        return ExperimentError(f"Experiment '{joined}' does not exist in '{remote}'")
    if len(names) > 1:
        return ExperimentError(f"'{joined}' are not valid experiment names")
    return ExperimentError(f"'{joined}' is not a valid experiment name")


def _by_names(root: Path, names: list[str], remote: str | None,
              ) -> tuple[list[str], list[ExpRef], list[str]]:
    """(names removed, refs to delete, queued names to drop) for ``exp remove NAME…``."""
    from dvcdoit.verbs import expname, expqueue

    resolved = expname.resolve_names(root, names, expname.refs_of(root, remote))
    queued = {e.name for e in expqueue.entries(root) if e.status == expqueue.QUEUED} \
        if not remote else set()
    missing = [n for n, hit in resolved.items() if hit is None and n not in queued]
    if missing:
        raise _unresolved(missing, remote)
    refs = [hit[0] for hit in resolved.values() if hit is not None]
    return list(resolved), refs, [n for n in resolved if n in queued]


def _selected(args: argparse.Namespace, root: Path) -> tuple[list[str], list[ExpRef], list[str]]:
    from dvcdoit.verbs import expname

    if args.experiment:
        return _by_names(root, args.experiment, args.git_remote)
    if args.rev:
        grouped = expname.by_baseline(expname.refs_of(root, args.git_remote),
                                      _baselines(root, args.rev, args.num))
        refs = [exp for found in grouped.values() for exp, _ in found]
        return list(dict.fromkeys(e.name for e in refs)), refs, []
    if args.all_commits:
        refs = [exp for exp, _ in expname.refs_of(root, args.git_remote)]
        return [e.name for e in refs], refs, []
    return [], [], []


def cmd_remove(args: argparse.Namespace) -> int:
    """``exp remove``: delete experiment refs (and queued entries); DVC's one line."""
    from dvcdoit.repo.exprefs import ExperimentError
    from dvcdoit.verbs import expapply, expname

    if not (bool(args.all_commits or args.rev or args.queue) ^ bool(args.experiment)):
        msg = ("Either provide an `experiment` argument, or use the `--rev` or "
               "`--all-commits` or `--queue` flag.")
        raise ExperimentError(msg)
    if args.keep and args.queue:
        msg = "Cannot use both `--keep` and `--queue`."
        raise ExperimentError(msg)
    project = open_session().project
    root = project.root
    with project.lock():
        removed = expapply.remove_queued(root) if args.queue else []
        names, refs, queued = _selected(args, root)
        if args.keep:
            keep = set(refs)
            refs = [e for e, _ in expname.refs_of(root, args.git_remote) if e not in keep]
            names = [e.name for e in refs]
        expapply.remove_refs(root, refs, args.git_remote)
        if queued:
            expapply.remove_queued(root, queued)
    removed += names
    if removed:
        print(f"Removed experiments: {_joined([repr(n) for n in removed])}")
    else:
        print("No experiments to remove.")
    return 0


def cmd_apply(args: argparse.Namespace) -> int:
    """``exp apply``: the experiment's files and outputs into the workspace."""
    from dvcdoit.core.errors import PathError
    from dvcdoit.repo.exprefs import ExperimentError
    from dvcdoit.verbs import expapply, expname

    if not args.force:
        print(NO_FORCE)
    session = open_session()
    name = args.experiment
    try:
        sha = expname.commit(session.project.root, name)
    except PathError as exc:
        msg = f"'{name}' does not appear to be an experiment commit.: {exc}"
        raise ExperimentError(msg) from None
    expapply.apply(session, sha, name)
    print(f"Changes for experiment '{name}' have been applied to your current workspace.")
    return 0


def cmd_branch(args: argparse.Namespace) -> int:
    """``exp branch``: a git branch at the experiment's commit."""
    from dvcdoit.verbs import expapply

    root = open_session().project.root
    new, name = expapply.branch(root, args.experiment, args.branch)
    print(f"Git branch '{new}' has been created from experiment '{name}'.\n"
          f"To switch to the new branch run:\n\n\tgit checkout {new}")
    return 0


def _cell(value: Any, precision: int | None) -> str:
    """DVC's ``_format_field``: ``-`` for nothing, floats to ``precision`` significant digits."""
    if value is None:
        return "-"
    if isinstance(value, float) and precision:
        return f"{value:.{precision}g}"
    return str(value)


def cmd_diff(args: argparse.Namespace) -> int:
    """``exp diff``: DVC's metrics table, an empty line, its params table (or ``--json``)."""
    import json

    from dvcdoit.cli._common import print_diff_table
    from dvcdoit.core.errors import DvcDoitError
    from dvcdoit.repo.exprefs import ExperimentError
    from dvcdoit.verbs.expdiff import diff

    project = open_session().project
    try:
        result = diff(project, args.a_rev, args.b_rev, args.all, args.param_deps)
    except DvcDoitError as exc:
        msg = f"failed to show experiments diff - {exc}"
        raise ExperimentError(msg) from None
    if args.json:
        print(json.dumps(result))
        return 0
    if not result:
        return 0
    precision = args.precision or 5
    for i, (key, title) in enumerate((("metrics", "Metric"), ("params", "Param"))):
        if i:
            print()
        digits = precision if key == "metrics" else None
        rows = [[path, item, _cell(c.get("old"), digits), _cell(c.get("new"), digits),
                 _cell(c["diff"], digits) if "diff" in c else "diff not supported"]
                for path, items in result[key].items() for item, c in items.items()]
        headers = ["Path", title, args.a_rev or "HEAD", args.b_rev or "workspace", "Change"]
        print_diff_table(args, headers, rows)
    return 0


def _add_rev_flags(p: argparse.ArgumentParser, verb: str, default: bool = True) -> None:
    """DVC's ``-A``, ``--rev`` and ``-n`` of ``exp list``/``exp remove``."""
    p.add_argument("-A", "--all-commits", action="store_true",
                   help=f"{verb} all experiments in the repository")
    p.add_argument("--rev", action="append", default=None, metavar="<commit>",
                   help=f"{verb} experiments derived from <commit>"
                        + (" (HEAD by default)" if default else ""))
    p.add_argument("-n", "--num", type=int, default=1, metavar="<num>",
                   help="experiments from the last <num> commits (first parents)")


def add_parsers(esub: Any) -> None:
    """Register ``exp list``, ``remove``, ``apply``, ``branch`` and ``diff``."""
    p = esub.add_parser("list", aliases=["ls"], help="list local and remote experiments")
    _add_rev_flags(p, "List")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--name-only", "--names-only", action="store_true",
                   help="only output experiment names")
    g.add_argument("--sha-only", "--shas-only", action="store_true",
                   help="only output experiment commit SHAs")
    p.add_argument("git_remote", nargs="?", default=None, metavar="<git_remote>",
                   help="list the experiments of this Git remote (name or URL)")
    p.set_defaults(func=cmd_list)
    p = esub.add_parser("remove", aliases=["rm"], help="remove experiments")
    _add_rev_flags(p, "Remove", default=False)
    p.add_argument("--keep", action="store_true",
                   help="keep the selected experiments instead of removing them")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--queue", action="store_true", help="remove all queued experiments")
    g.add_argument("-g", "--git-remote", metavar="<git_remote>",
                   help="name or URL of the Git remote to remove the experiment from")
    p.add_argument("experiment", nargs="*", metavar="<experiment>",
                   help="experiments to remove")
    p.set_defaults(func=cmd_remove)
    p = esub.add_parser("apply", help="apply the changes from an experiment to your workspace")
    p.add_argument("--no-force", action="store_false", dest="force",
                   help="deprecated (DVC's); prints how to revert, then applies")
    p.add_argument("experiment", help="experiment to be applied")
    p.set_defaults(func=cmd_apply)
    p = esub.add_parser("branch", help="promote an experiment to a Git branch")
    p.add_argument("experiment", help="experiment to be promoted")
    p.add_argument("branch", nargs="?", default=None,
                   help="name of the new Git branch (default: <experiment>-branch)")
    p.set_defaults(func=cmd_branch)
    p = esub.add_parser("diff", help="show changes between experiments")
    p.add_argument("a_rev", nargs="?", help="old experiment to compare (default HEAD)")
    p.add_argument("b_rev", nargs="?", help="new experiment to compare (default: the workspace)")
    p.add_argument("--all", action="store_true", help="show unchanged metrics/params as well")
    p.add_argument("--param-deps", action="store_true",
                   help="show only params that are stage dependencies")
    p.add_argument("--json", action="store_true", help="show output in JSON format")
    p.add_argument("--md", action="store_true", help="show tabulated output in Markdown")
    p.add_argument("--no-path", action="store_true", help="don't show metric/param path")
    p.add_argument("--precision", type=int, metavar="<n>",
                   help="round metrics to <n> significant digits (5 by default)")
    p.set_defaults(func=cmd_diff)
