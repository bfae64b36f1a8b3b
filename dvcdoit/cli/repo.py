"""``dvcdoit install | git-hook | check-ignore | version | doctor | du | destroy``: DVC 3.67.1's repo verbs.

Output, exit codes and refusals match DVC's (docs/housekeeping.md has what was measured).
DVC exits 1 where these verbs refuse (hooks that exist, destroy without a confirmation), so
they print their ``ERROR:`` line here and return 1 rather than raising (which exits 3).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

from dvcdoit.core.errors import DvcDoitError


def _refuse(message: str, code: int = 1) -> int:
    print(f"ERROR: {message}", file=sys.stderr)
    return code


def cmd_install(args: argparse.Namespace) -> int:
    """``install [--use-pre-commit-tool]``: write the git hooks (or the pre-commit entry)."""
    from dvcdoit.repo.project import find_root
    from dvcdoit.verbs import hooks

    root = find_root(Path.cwd())
    if args.use_pre_commit_tool:
        top = hooks.uses_git(root)
        if top is not None:
            hooks.install_pre_commit(top)
        return 0
    try:
        hooks.install(root)
    except hooks.HookError as exc:
        return _refuse(str(exc))
    return 0


def cmd_git_hook(args: argparse.Namespace) -> int:
    """``git-hook NAME [ARGS]``, what the hooks run: the verb of the hook, in a dvcdoit repo."""
    from dvcdoit.cli import run
    from dvcdoit.core.errors import NotARepoError
    from dvcdoit.repo.project import find_root
    from dvcdoit.verbs.hooks import hook_verb

    try:
        root = find_root(Path.cwd())
    except NotARepoError:
        return 0  # NOTE: DVC's hooks do nothing outside a DVC repo
    verb = hook_verb(args.hook, args.args, root)
    return 0 if verb is None else run([verb])


def cmd_check_ignore(args: argparse.Namespace) -> int:
    """``check-ignore [-d] [-n] [-a] [--stdin] TARGETS``: DVC's output and exit codes."""
    from dvcdoit.cli._common import quiet
    from dvcdoit.repo.ignorecheck import explain
    from dvcdoit.repo.project import Project

    problem = _check_ignore_args(args, quiet(args))
    if problem:  # NOTE: DVC's -q silences even this error line
        return 255 if quiet(args) else _refuse(problem, 255)
    project = Project.find()
    matched = False
    for target in _targets(args):
        ignored, pattern = explain(project.ignore, project.root, target)
        if args.details:
            shown = pattern or ("::" if args.non_matching else None)
            if shown is not None:
                print(f"{shown}\t{target}")
        elif ignored:
            print(target)
        # NOTE: DVC's exit 0 means "some pattern matched", a re-including one too (with -d)
        matched = matched or (pattern is not None if args.details else ignored)
    return 0 if matched else 1


def _targets(args: argparse.Namespace) -> Iterator[str]:
    """The targets, or the lines of stdin up to the first empty one (DVC's --stdin)."""
    if not args.stdin:
        yield from args.targets
        return
    for line in sys.stdin:
        target = line.rstrip("\n")
        if not target:
            return
        yield target


def _check_ignore_args(args: argparse.Namespace, is_quiet: bool) -> str | None:
    if not args.stdin and not args.targets:
        return "`targets` or `--stdin` needed"
    if args.stdin and args.targets:
        return "cannot have both `targets` and `--stdin`"
    if args.non_matching and not args.details:
        return "`--non-matching` is only valid with `--details`"
    if args.all and not args.details:
        return "`--all` is only valid with `--details`"
    if is_quiet and args.details:
        return "cannot use both `--details` and `--quiet`"
    return None


def cmd_doctor(args: argparse.Namespace) -> int:
    """``version`` / ``doctor``: versions, platform, remotes, cache types, repo."""
    from dvcdoit.verbs.doctor import report

    print(report(Path.cwd()))
    return 0


def cmd_destroy(args: argparse.Namespace) -> int:
    """``destroy [-f]``: DVC's prompt on stdout, its refusal without a ``y``."""
    from dvcdoit.repo.project import Project
    from dvcdoit.verbs.destroy import PROMPT, destroy

    project = Project.find()
    if not args.force:
        print(PROMPT, end="", flush=True)
        answer = sys.stdin.readline()
        while answer and answer.strip().lower() not in ("yes", "no", "y", "n"):
            print("Your response must be one of: ['yes', 'no', 'y', 'n']. Please try again.")
            print(PROMPT, end="", flush=True)
            answer = sys.stdin.readline()
        if not answer.strip().lower().startswith("y"):
            return _refuse("failed to destroy DVC - cannot destroy without a confirmation "
                           "from the user. Use `-f` to force.")
    try:
        destroy(project)
    except DvcDoitError as exc:
        return _refuse(f"failed to destroy DVC - {exc}")
    return 0


def cmd_du(args: argparse.Namespace) -> int:
    """``du [-s] URL [PATH]`` for a local repo's workspace: DVC's rows and sizes."""
    from dvcdoit.core.errors import ConfigError
    from dvcdoit.repo.project import Project
    from dvcdoit.verbs.du import du, table

    if args.rev is not None:
        msg = "du --rev is not implemented in dvcdoit; check the revision out and run du on it"
        raise ConfigError(msg)
    if "://" in args.url or args.url.startswith("git@"):
        msg = (f"du of a remote repository ('{args.url}') is not implemented in dvcdoit; "
               "clone it and run 'dvcdoit du CLONE'")
        raise ConfigError(msg)
    project = Project.find(Path(args.url))
    for line in table(du(project, args.path or "", args.summarize)):
        print(line)
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``install``, ``git-hook``, ``check-ignore``, ``version``/``doctor``, ``du``, ``destroy``."""
    p = sub.add_parser("install", help="install dvcdoit's git hooks into the repository",
                       description="Install git hooks running dvcdoit: post-checkout → "
                                   "checkout, pre-commit → status, pre-push → push.")
    p.add_argument("--use-pre-commit-tool", action="store_true",
                   help="add the hooks to .pre-commit-config.yaml (https://pre-commit.com)")
    p.set_defaults(func=cmd_install)

    p = sub.add_parser("git-hook", help="run a git hook (what `dvcdoit install` writes)")
    p.add_argument("hook", choices=("pre-commit", "post-checkout", "pre-push"))
    p.add_argument("args", nargs="*", help="arguments passed by git or the pre-commit tool")
    p.set_defaults(func=cmd_git_hook)

    p = sub.add_parser("check-ignore", help="check whether paths are excluded by .dvcignore")
    p.add_argument("-d", "--details", action="store_true",
                   help="show the exclude patterns along with each target path")
    p.add_argument("-a", "--all", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("-n", "--non-matching", action="store_true",
                   help="include the target paths which don't match any pattern "
                        "in the `--details` list")
    p.add_argument("--stdin", action="store_true",
                   help="read paths from standard input instead of providing `targets`")
    p.add_argument("targets", nargs="*", help="file or directory paths to check")
    p.set_defaults(func=cmd_check_ignore)

    for name in ("version", "doctor"):
        p = sub.add_parser(name, help="display the version and system/environment information")
        p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("du", help="show disk usage of a repo's workspace and tracked data")
    p.add_argument("url", help="location of the DVC repository (a local path)")
    p.add_argument("path", nargs="?", help="path to a directory within the repository")
    p.add_argument("-s", "--summarize", action="store_true", help="show the total only")
    p.add_argument("--rev", nargs="?", const="HEAD", help="git revision (not implemented)")
    p.set_defaults(func=cmd_du)

    p = sub.add_parser("destroy", help="remove DVC files, the local DVC config and data cache")
    p.add_argument("-f", "--force", action="store_true", help="force destruction")
    p.set_defaults(func=cmd_destroy)
