"""``dvcdoit queue start|status|logs|remove|kill``: the queue of ``exp run --queue``.

``queue start`` starts one background runner (``exp run --run-all -j N``, detached, its
output in ``.dvc/tmp/exps/dvcdoit/runner.log``) and returns, as DVC's celery workers do; the
runner lock it takes passes to that runner, so a second ``queue start`` or ``--run-all``
while it runs is one line and runs nothing. The store is :mod:`dvcdoit.verbs.expqueue`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from datetime import date, datetime
from typing import Any

from dvcdoit.cli._common import open_session


def _root() -> Any:
    from dvcdoit.verbs import expqueue

    root = open_session().project.root
    expqueue.reap(root)
    return root


def _created(ts: float) -> str:
    when = datetime.fromtimestamp(ts)
    return when.strftime("%I:%M %p" if when.date() == date.today() else "%b %d, %Y")


def cmd_status(args: argparse.Namespace) -> int:
    """DVC's table: Task, Name, Created, Status; then the worker line."""
    from dvcdoit.formats.table import plain
    from dvcdoit.verbs import expqueue

    del args
    found = expqueue.listing(_root())
    if found:
        print(plain(["Task", "Name", "Created", "Status"],
                    [[e.id[:7], e.name, _created(e.created), e.status] for e in found]))
    else:
        print("No experiment tasks in the queue.")
    running = sum(e.status == expqueue.RUNNING for e in found)
    print(f"\nWorker status: {running} active, 0 idle")
    return 0


def cmd_start(args: argparse.Namespace) -> int:
    """Start the background runner (DVC's line), or refuse when one runs."""
    from dvcdoit.verbs import expqueue

    root = _root()
    fd = expqueue.take_runner_lock(root)
    log = (expqueue.base(root) / "runner.log").open("ab")
    try:
        subprocess.Popen([sys.executable, "-m", "dvcdoit", "exp", "run", "--run-all", "-j",
                          str(args.jobs)], cwd=root, stdin=subprocess.DEVNULL, stdout=log,
                         stderr=subprocess.STDOUT, start_new_session=True, pass_fds=(fd,),
                         env={**os.environ, expqueue.LOCK_FD_ENV: str(fd)})
    finally:
        log.close()
        os.close(fd)
    print(f"Started '{args.jobs}' new experiments task queue workers.")
    return 0


def _named(root: Any, names: list[str], status: str | None, what: str) -> list[Any]:
    from dvcdoit.verbs import expqueue

    every = expqueue.entries(root)
    chosen = []
    for name in names:
        hits = [e for e in every if name in (e.name, e.id[:7], e.id)
                and (status is None or e.status == status)]
        if not hits:
            msg = f"'{name}' is not a valid {what}experiment name"
            raise expqueue.QueueError(msg)
        chosen += hits
    return chosen


def cmd_logs(args: argparse.Namespace) -> int:
    """The output of one experiment's run."""
    from dvcdoit.verbs import expqueue

    root = _root()
    entry = _named(root, [args.name], None, "queued ")[-1]
    log = expqueue.log_path(root, entry)
    sys.stdout.write(log.read_text(errors="replace") if log.exists() else "")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    """Forget queued or finished experiments (not a running one)."""
    from dvcdoit.verbs import expqueue

    root = _root()
    wanted = {s for s, on in ((expqueue.QUEUED, args.queued or args.all),
                              (expqueue.FAILED, args.failed or args.all),
                              (expqueue.SUCCESS, args.success or args.all)) if on}
    chosen = [e for e in expqueue.entries(root) if e.status in wanted]
    chosen += [e for e in _named(root, args.names, None, "") if e.status != expqueue.RUNNING]
    for entry in chosen:
        expqueue.drop(root, entry)
    if chosen:
        print(f"Removed tasks in queue: {', '.join(dict.fromkeys(e.name for e in chosen))}")
    return 0


def cmd_kill(args: argparse.Namespace) -> int:
    """Stop running experiments; their runner marks them failed."""
    from dvcdoit.verbs import expqueue

    root = _root()
    for entry in _named(root, args.names, expqueue.RUNNING, "running "):
        expqueue.request_kill(root, entry)
        print(f"Experiment '{entry.name}' has been killed.")
    return 0


def add_parsers(sub: Any) -> None:
    """Register ``queue`` and its subcommands."""
    p = sub.add_parser("queue", help="the queue of experiments (exp run --queue)")
    qsub = p.add_subparsers(dest="queue_command", metavar="COMMAND")
    qsub.required = True
    p = qsub.add_parser("start", help="run the queue in the background")
    p.add_argument("-j", "--jobs", type=int, default=1, help="experiments at a time")
    p.set_defaults(func=cmd_start)
    p = qsub.add_parser("status", help="the queued, running and finished experiments")
    p.set_defaults(func=cmd_status)
    p = qsub.add_parser("logs", help="the output of an experiment's run")
    p.add_argument("name", metavar="NAME")
    p.set_defaults(func=cmd_logs)
    p = qsub.add_parser("remove", help="forget experiments of the queue")
    p.add_argument("names", nargs="*", metavar="NAME")
    for flag in ("all", "queued", "failed", "success"):
        p.add_argument(f"--{flag}", action="store_true")
    p.set_defaults(func=cmd_remove)
    p = qsub.add_parser("kill", help="stop running experiments (marked Failed)")
    p.add_argument("names", nargs="+", metavar="NAME")
    p.set_defaults(func=cmd_kill)
