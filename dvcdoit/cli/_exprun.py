"""``exp run``, ``exp save``, ``exp clean``: run experiments and save them as DVC does.

Registered by :mod:`dvcdoit.cli.exp`. The words are ``dvc==3.67.1``'s (docs/experiments.md).
"""

from __future__ import annotations

import argparse
import posixpath
import sys
from typing import TYPE_CHECKING, Any

from dvcdoit.cli._common import open_session, quiet

if TYPE_CHECKING:
    from pathlib import Path

    from dvcdoit.pipeline.index import Index
    from dvcdoit.repo.project import Project
    from dvcdoit.verbs.expparams import Overrides

APPLIED = "Experiment results have been applied to your workspace."
APPLY_HINT = ("To apply the results of an experiment to your workspace run:\n\n"
              "\tdvcdoit exp apply <exp>")


def _lock_files(index: Index) -> list[str]:
    return sorted({posixpath.join(posixpath.dirname(s.file), "dvc.lock")
                   for s in index.stages.values() if not s.single})


def _taken(root: Path, baseline: str) -> list[str]:
    from dvcdoit.repo.exprefs import exp_refs, for_baseline
    from dvcdoit.verbs import expqueue

    return [e.name for e, _ in for_baseline(exp_refs(root), baseline)] + \
        [e.name for e in expqueue.entries(root) if e.baseline == baseline]


def _stash(project: Project, baseline: str) -> str:
    """The workspace's uncommitted changes to tracked files as a commit on ``baseline`` (the
    queue runs the experiment from it, as DVC's queue stashes them), or "" when clean."""
    from dvcdoit.repo.revisions import is_dirty
    from dvcdoit.verbs import expcommit

    if not is_dirty(project.root):
        return ""
    return expcommit.write_commit(project.root, baseline, "",
                                  message="dvcdoit: the workspace, queued")


def _queue(project: Project, sets: list[Overrides], args: argparse.Namespace) -> list[str]:
    from dvcdoit.repo.exprefs import check_name, new_name
    from dvcdoit.verbs import expcommit, expqueue

    baseline = expcommit.head(project.root)
    taken = _taken(project.root, baseline)
    stash = _stash(project, baseline)
    names: list[str] = []
    for i, one in enumerate(sets):
        name = (check_name(args.name if len(sets) == 1 else f"{args.name}-{i + 1}")
                if args.name else new_name(taken))
        taken.append(name)
        talk = not args.temp and not quiet(args)
        if one and talk:
            print(f"Queueing with overrides '{one!r}'.")
        entry = expqueue.add(project.root, baseline, name, one, args.targets,
                             args.message or "")
        if stash:
            expqueue.keep_stash(project.root, entry, stash)
        if talk:
            print(f"Queued experiment '{name}' for future execution.")
        names.append(name)
    return names


def _run_dask(project: Project, args: argparse.Namespace) -> list[Any]:
    """Run the queue on the Dask cluster; the entries that ended. One line per failure."""
    from dvcdoit.verbs import daskqueue

    results = daskqueue.run_queue(project.root, args.scheduler, args.git_url)
    for res in results:
        if not res.ok:
            sys.stdout.flush()
            where = f" on worker {res.worker}" if res.worker else ""
            sys.stderr.write(f"ERROR: experiment '{res.entry.name}' failed{where}: "
                             f"{res.tail}\n")
    return [res.entry for res in results]


def _run_queue(project: Project, args: argparse.Namespace) -> int:
    """Run the queue in the foreground (here, or with ``--executor dask`` on a cluster);
    DVC's closing lines."""
    from dvcdoit.tasks.exprun import run_queue
    from dvcdoit.verbs import expqueue

    with expqueue.runner_lock(project.root):
        expqueue.reap(project.root)
        done = _run_dask(project, args) if args.executor == "dask" else \
            run_queue(project.root, project.cache.root.resolve(), args.jobs).done
    ok = [e.name for e in done if e.status == expqueue.SUCCESS]
    failed = [e.name for e in done if e.status == expqueue.FAILED]
    print(f"Ran experiment(s): {', '.join(ok)}")
    print(APPLY_HINT)
    if failed:
        sys.stdout.flush()
        sys.stderr.write(f"Failed to reproduce experiment(s) '{', '.join(failed)}'\n")
    return 0


def _workspace_run(args: argparse.Namespace, overrides: Overrides) -> int:
    from dvcdoit.repo.exprefs import ExpRef, check_name, new_name
    from dvcdoit.tasks.exprun import reproduce
    from dvcdoit.tasks.loader import RunOptions
    from dvcdoit.verbs import expcommit, expparams

    session = open_session()
    project = session.project
    baseline = expcommit.head(project.root)
    name = check_name(args.name) if args.name else new_name(_taken(project.root, baseline))
    exp = ExpRef(baseline, name)
    if not args.force and expcommit.ref_sha(project.root, exp.ref):
        raise expcommit.conflict(name)  # NOTE: DVC runs first and then refuses; we refuse first
    locks = _lock_files(session.index)
    before = expcommit.lock_entries(project.root, locks)
    if overrides:
        with project.lock():
            expparams.apply(project.root, overrides)
    session.reload()
    if not quiet(args):
        print(f"Reproducing experiment '{name}'", flush=True)
    opts = RunOptions(force=args.force, reasons=False, pull=args.pull,
                      allow_missing=args.allow_missing,
                      interactive=args.interactive or project.config.interactive)
    code = reproduce(session, session.index.select_stages(args.targets) if args.targets else [],
                     sys.stdout, quiet(args), opts, keep_going=args.keep_going)
    if code:
        return 1
    after = expcommit.lock_entries(project.root, _lock_files(session.reload()))
    digest = expcommit.exp_hash(expcommit.changed_entries(before, after))
    expcommit.save(project.root, exp, digest, force=args.force, message=args.message)
    if not quiet(args):
        print(f"\nRan experiment(s): {name}\n{APPLIED}")
    return 0


def _temp_run(project: Project, sets: list[Overrides], args: argparse.Namespace) -> int:
    from dvcdoit.tasks.expqueue import QueueRun
    from dvcdoit.verbs import expqueue

    names = _queue(project, sets, args)
    entry = next(e for e in expqueue.entries(project.root) if e.name == names[0])
    qrun = QueueRun(project.root, project.cache.root.resolve())
    qrun.run_entry(entry.id)
    log = expqueue.log_path(project.root, entry)
    text = log.read_text(errors="replace") if log.exists() else ""
    sys.stdout.write(text.replace(APPLIED + "\n", APPLY_HINT + "\n"))  # NOTE: not applied here
    status = qrun.done[-1].status if qrun.done else expqueue.FAILED
    expqueue.drop(project.root, entry)
    return 0 if status == expqueue.SUCCESS else 1


def cmd_exp_run(args: argparse.Namespace) -> int:
    """``exp run``: in the workspace, or queued (``--queue``), or the queue (``--run-all``)."""
    from dvcdoit.verbs import expparams

    overrides = expparams.by_file(args.set_param)
    sets = expparams.grid(overrides)
    if len(sets) > 1 and not args.queue:
        msg = "Sweep overrides can't be used without `--queue`"
        raise expparams.SetParamError(msg)
    if args.queue or args.temp:
        project = open_session().project
        if args.temp and not args.queue:
            return _temp_run(project, sets, args)
        _queue(project, sets, args)
        return _run_queue(project, args) if args.run_all else 0
    if args.run_all:
        return _run_queue(open_session().project, args)
    return _workspace_run(args, overrides)


def cmd_exp_save(args: argparse.Namespace) -> int:
    """``exp save``: commit the workspace's stages (as ``commit -f``) and save it as an
    experiment, without running anything."""
    from dvcdoit.repo.exprefs import ExperimentError, ExpRef, check_name, new_name
    from dvcdoit.verbs import commit, expcommit

    session = open_session()
    project = session.project
    baseline = expcommit.head(project.root)
    name = check_name(args.name) if args.name else new_name(_taken(project.root, baseline))
    with project.lock():
        index = session.index
        commit.commit(index, commit.select(index, []), force=True)
        entries = expcommit.lock_entries(project.root, _lock_files(session.reload()))
    try:
        expcommit.save(project.root, ExpRef(baseline, name), expcommit.exp_hash(entries),
                       force=args.force, message=args.message)
    except ExperimentError as exc:
        exc.args = (f"failed to save experiment - {exc}",)
        raise
    print(f"Experiment has been saved as: {name}")
    return 0


def cmd_exp_clean(args: argparse.Namespace) -> int:
    """``exp clean``: forget runners that died, remove left-over worktrees."""
    from dvcdoit.verbs import expqueue

    del args
    root = open_session().project.root
    print("Cleaning up dvc-task messages...")
    expqueue.reap(root)
    for entry in expqueue.entries(root):
        if entry.status != expqueue.RUNNING:
            expqueue.remove_worktree(root, entry)
    print("Done!")
    return 0


def add_parsers(esub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``exp run``, ``exp save`` and ``exp clean``."""
    p = esub.add_parser("run", help="run an experiment (or queue it) and save it as DVC does")
    p.add_argument("targets", nargs="*", metavar="STAGE")
    p.add_argument("-S", "--set-param", action="append", default=[], metavar="[FILE:]KEY=VALUE",
                   help="override a param (a comma list makes a grid: --queue only)")
    p.add_argument("-n", "--name", help="the experiment's name (default: adjective-noun)")
    p.add_argument("--queue", action="store_true", help="queue it; run later (queue start)")
    p.add_argument("--run-all", action="store_true", help="run every queued experiment")
    p.add_argument("-j", "--jobs", type=int, default=1, help="experiments at a time")
    p.add_argument("--executor", choices=["local", "dask"], default="local",
                   help="where --run-all runs the queue: here, or on a Dask cluster "
                        "(docs/dask.md)")
    p.add_argument("--scheduler", metavar="ADDR",
                   help="the Dask scheduler (default: $DASK_SCHEDULER_ADDRESS)")
    p.add_argument("--git-url", metavar="URL",
                   help="where the Dask workers clone the project (default: origin's URL)")
    p.add_argument("--temp", action="store_true",
                   help="run in a temporary worktree instead of the workspace")
    p.add_argument("-f", "--force", action="store_true",
                   help="reproduce every stage; replace an experiment of the same name")
    p.add_argument("-m", "--message", help="the experiment commit's message")
    p.add_argument("--pull", action="store_true",
                   help="pull missing data instead of running (as repro --pull)")
    p.add_argument("--allow-missing", action="store_true",
                   help="skip stages whose only change is missing data")
    p.add_argument("-k", "--keep-going", action="store_true",
                   help="after a failure, go on with the stages that do not depend on it")
    p.add_argument("-i", "--interactive", action="store_true",
                   help="ask for confirmation before reproducing each stage")
    p.set_defaults(func=cmd_exp_run)
    p = esub.add_parser("save", help="save the workspace as an experiment without running")
    p.add_argument("-n", "--name", help="the experiment's name")
    p.add_argument("-m", "--message", help="the experiment commit's message")
    p.add_argument("-f", "--force", action="store_true", help="replace one of that name")
    p.set_defaults(func=cmd_exp_save)
    p = esub.add_parser("clean", help="clean up the queue's left-overs")
    p.set_defaults(func=cmd_exp_clean)
