"""``exp run`` in the workspace: the pipeline through doit, as ``dvcdoit repro`` runs it.

The stages are the loader's ``repro:<stage>`` tasks (so the run-cache, the reasons and the
lock writes are repro's); only the closing lines differ: DVC's ``exp run`` ends with no
``Data and pipelines are up to date.`` and no push hint, the CLI says ``Ran experiment(s)``.
"""

from __future__ import annotations

import io
import signal
import sys
from pathlib import Path
from typing import Any

from doit.cmd_base import ModuleTaskLoader
from doit.doit_cmd import DoitMain
from doit.reporter import ConsoleReporter

from dvcdoit.pipeline.session import Session
from dvcdoit.tasks import doitstore
from dvcdoit.tasks.expqueue import BASENAME, QueueRun
from dvcdoit.tasks.loader import DvcDoitLoader, RunOptions
from dvcdoit.tasks.reporter import DvcReporter


class ExpReporter(DvcReporter):
    """:class:`DvcReporter` without repro's closing lines (``exp run`` prints its own)."""

    desc = "DVC's sentences for the stages of an experiment"

    def complete_run(self) -> None:
        """doit's failure report only."""
        ConsoleReporter.complete_run(self)


class QuietExpReporter(ExpReporter):
    """:class:`ExpReporter` for ``-q``: failures only."""

    desc = "failures only (dvcdoit -q exp run)"
    quiet = True


class _ExpLoader(DvcDoitLoader):
    """The stage loader, with the experiment reporter (DOIT_CONFIG's would win otherwise)."""

    reporter: type = ExpReporter

    def load_doit_config(self) -> dict[str, Any]:
        """repro's config with :attr:`reporter`."""
        return {**super().load_doit_config(), "reporter": self.reporter}


def reproduce(session: Session, targets: list[str], outfile: Any, quiet: bool = False,
              options: RunOptions | None = None, jobs: int = 0, keep_going: bool = False) -> int:
    """Run the stages (``targets``, or all) through doit, as ``repro`` with ``options``
    (``force``, ``pull``, ``allow_missing``, ``interactive``; no reasons); doit's exit code."""
    opts = options or RunOptions(reasons=False)
    index = session.index
    order = index.graph.run_order(targets, False)
    argv = ["run", *(["-a"] if opts.force else []), "--backend", doitstore.NAME,
            *(["-n", str(jobs)] if jobs else []), *(["--continue"] if keep_going else []),
            *[f"repro:{t}" for t in order]]
    loader = _ExpLoader(session, opts)
    loader.reporter = QuietExpReporter if quiet else ExpReporter
    main = DoitMain(loader, extra_config={"run": {"outfile": outfile},
                                  "BACKEND": {doitstore.NAME: doitstore.LOCATION}})
    with session.project.lock():
        return int(main.run(argv))


class SilentReporter(ConsoleReporter):  # type: ignore[misc]
    """Nothing per experiment (each one's output is its log); the CLI sums up at the end."""

    desc = "nothing: the experiments' output goes to their logs"

    def execute_task(self, task: Any) -> None:
        """Silent."""

    def skip_uptodate(self, task: Any) -> None:
        """Silent."""

    def add_failure(self, task: Any, fail: Any) -> None:
        """Silent: the queue's entry says Failed."""

    def complete_run(self) -> None:
        """Only doit's own errors (a bad task), not the experiments' failures."""
        if self.runtime_errors:
            ConsoleReporter.complete_run(self)


def run_queue(root: Path, cache_dir: Path, jobs: int) -> QueueRun:
    """Run every queued experiment, ``jobs`` at a time, through doit's thread runner.

    SIGINT stops it cleanly (:meth:`QueueRun.interrupt`); the returned run lists what ended.
    """
    qrun = QueueRun(root, cache_dir)
    work = root / ".dvc" / "tmp" / "exps" / "dvcdoit"
    work.mkdir(parents=True, exist_ok=True)

    def task_exp_queue() -> Any:
        return qrun.task_dicts()

    task_exp_queue.__doc__ = "Run the queued experiments"
    config = {"dep_file": str(work / "doit.sqlite3"), "backend": "sqlite3",
              "reporter": SilentReporter, "outfile": io.StringIO()}
    loader = ModuleTaskLoader({"task_exp_queue": task_exp_queue, "DOIT_CONFIG": config})
    argv = ["run", "--continue", "-n", str(max(jobs, 1)), "-P", "thread", BASENAME]
    old = signal.signal(signal.SIGINT, qrun.interrupt)
    old_term = signal.signal(signal.SIGTERM, qrun.interrupt)
    streams = sys.stdout, sys.stderr
    try:
        DoitMain(loader).run(argv)
    finally:
        # NOTE: doit swaps sys.stdout/err around each python-action; two threads doing it at
        # once can leave one task's capture buffer in place: put the real ones back
        sys.stdout, sys.stderr = streams
        signal.signal(signal.SIGINT, old)
        signal.signal(signal.SIGTERM, old_term)
    return qrun


__all__ = ["ExpReporter", "QuietExpReporter", "SilentReporter", "reproduce", "run_queue"]
