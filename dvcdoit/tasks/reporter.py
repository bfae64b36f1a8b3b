"""dvcdoit's doit reporter: DVC 3.67.1's sentences for the ``repro:`` tasks, doit's for the rest.

``dvcdoit repro`` and a bare ``doit`` (through the loader's ``DOIT_CONFIG``) use it unless the
user picks another ``--reporter``. What it prints for a stage, as DVC's ``repro`` does:

- an unchanged stage: ``Stage 'train' didn't change, skipping`` (a ``.dvc`` data source:
  ``'data.dvc' didn't change, skipping``);
- a stage that ran: its own lines come from the action (``Running stage 'train':``,
  ``> cmd``), then ``Generating lock file 'dvc.lock'`` (a new lock file) and ``Updating
  lock file 'dvc.lock'`` when its entry changed; the next stage's lines start after one
  empty line;
- a stage pulled (``repro --pull``): ``Pulling data for stage: 'x'`` from the action; it
  counts as not run;
- at the end: ``Data and pipelines are up to date.`` when nothing ran; else DVC's git hint
  for the files the run changed (``dvc.lock``, ``.gitignore``, ``.dvc`` files; none when
  ``core.autostage`` staged them) and ``Use `dvcdoit push` to send your updates to remote
  storage.``

A stage that fails is DVC's one line on stderr, ``ERROR: failed to reproduce 'x': …``
(doit's ``TaskFailed`` report for other tasks).
"""

from __future__ import annotations

import sys
from typing import Any

from doit.reporter import ConsoleReporter

from dvcdoit.verbs.report import UP_TO_DATE, track_hint

GROUP = "repro"
PREFIX = f"{GROUP}:"
PUSH_HINT = "Use `dvcdoit push` to send your updates to remote storage."


class DvcReporter(ConsoleReporter):  # type: ignore[misc]
    """DVC's lines for ``repro:`` tasks (see the module docstring); ``quiet`` prints only
    failures, as DVC's ``-q``."""

    desc = "DVC's sentences for repro tasks, doit's console lines for other tasks"
    quiet = False

    def __init__(self, outstream: Any, options: dict[str, Any]) -> None:
        super().__init__(outstream, options)
        self._ours = False
        self._ran_last = False
        self._ran: list[str] = []
        self._track: list[str] = []
        self._hint = True

    def _say(self, text: str) -> None:
        if not self.quiet:
            self.write(text)

    def _next(self, task: Any) -> bool:
        """True for our task; the empty line DVC puts after a stage that ran."""
        if not task.name.startswith(PREFIX):
            return False
        self._ours = True
        if self._ran_last:
            self._say("\n")
            self._ran_last = False
        return True

    def execute_task(self, task: Any) -> None:
        """Our stage prints its own ``Running stage`` lines; other tasks get doit's line."""
        if not self._next(task) and not self.quiet:
            super().execute_task(task)

    def skip_uptodate(self, task: Any) -> None:
        """DVC's ``didn't change, skipping``."""
        if not self._next(task):
            if not self.quiet:
                super().skip_uptodate(task)
            return
        name = task.name[len(PREFIX):]
        stage = (task.meta or {}).get("dvc_stage")
        self._say(f"Stage '{name}' didn't change, skipping\n" if stage
                  else f"'{name}' didn't change, skipping\n")

    def add_failure(self, task: Any, fail: Any) -> None:
        """DVC's ``ERROR: failed to reproduce 'x': …`` on stderr for our stage; doit's
        report for other tasks."""
        if task.name == GROUP:  # NOTE: `repro` itself, after a stage failed (doit -c)
            self.failures.append({"task": task, "exception": fail})
            return
        if not task.name.startswith(PREFIX):
            super().add_failure(task, fail)
            return
        self.failures.append({"task": task, "exception": fail})
        sys.stderr.write(f"ERROR: {fail.get_msg().strip()}\n")
        sys.stderr.flush()

    def add_success(self, task: Any) -> None:
        """DVC's lock lines for a stage that ran; remember the files to track."""
        if not task.name.startswith(PREFIX):
            return
        values = task.values or {}
        if values.get("pulled"):  # NOTE: repro --pull: DVC counts it as not run
            return
        written, lock = values.get("lock_written"), values.get("lock_file")
        if written == "created":
            self._say(f"Generating lock file '{lock}'\n")
        if written in ("created", "updated"):
            self._say(f"Updating lock file '{lock}'\n")
        self._track += values.get("track") or []
        self._hint = self._hint and not values.get("autostaged")
        self._ran.append(task.name)
        self._ran_last = True

    def complete_run(self) -> None:
        """doit's failure report, then DVC's closing lines when our stages were run."""
        super().complete_run()
        if not self._ours or self.failures or self.runtime_errors:
            return
        if not self._ran:
            self._say(UP_TO_DATE + "\n")
            return
        if self._track and self._hint:
            self._say(track_hint(list(dict.fromkeys(self._track))) + "\n")
        self._say(PUSH_HINT + "\n")


class QuietReporter(DvcReporter):
    """:class:`DvcReporter` for ``dvcdoit -q repro``: failures only."""

    desc = "failures only (dvcdoit -q)"
    quiet = True


__all__ = ["PUSH_HINT", "DvcReporter", "QuietReporter"]
