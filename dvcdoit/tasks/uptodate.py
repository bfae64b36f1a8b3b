"""doit ``uptodate`` object for a stage: compares cmd, deps, params and outs with ``dvc.lock``.

Shaped like ``doit.tools.config_changed``: ``configure_task`` hooks the task (it adds the
value saver that writes the lock entry in doit's main process after a success) and
``__call__(task, values)`` returns True when the stage is unchanged. Everything comes from
``dvc.lock`` and the state DB, never from ``.doit.db``, so a fresh clone with a valid lock
runs nothing. ``repr()`` gives the reason in DVC's words (``changed deps: modified: x``),
which is what ``doit info`` prints.

An error inside the check (a malformed ``params.yaml``, an unreadable dep) must not become
doit's traceback: the check answers "changed" and keeps the one-line reason, and the stage's
action, which reads the same files, fails with that line (:func:`_checked`).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from typing import Any

from dvcdoit.core import fsutil, state
from dvcdoit.core.errors import DvcDoitError
from dvcdoit.formats.lock import LOCK_FILE, parse_entry
from dvcdoit.pipeline.index import Index
from dvcdoit.pipeline.session import Session
from dvcdoit.pipeline.stage import record, status
from dvcdoit.pipeline.status import missing_only
from dvcdoit.repo.autostage import stage_files
from dvcdoit.repo.sources import status as source_status


def user_error(exc: Exception) -> DvcDoitError | None:
    """``exc`` as the one-line error a user can act on, or None for a bug.

    Our own errors, filesystem refusals (:func:`dvcdoit.core.fsutil.refusal`) and a state DB
    that cannot be written (:func:`dvcdoit.core.state.refusal`).
    """
    if isinstance(exc, DvcDoitError):
        return exc
    if isinstance(exc, OSError):
        return fsutil.refusal(exc)
    return state.refusal(exc)


def _checked(check: Callable[[], bool], reasons: list[str]) -> bool:
    """Run ``check``; a user-fixable error makes it False with the error as the reason."""
    try:
        return check()
    except Exception as exc:
        error = user_error(exc)
        if error is None:
            raise
        reasons[:] = [str(error)]
    return False


class StageUpToDate:
    """``uptodate`` item of the ``repro:<stage>`` task (True = unchanged)."""

    def __init__(self, session: Session, name: str, allow_missing: bool = False) -> None:
        self.session = session
        self.name = name
        self.allow_missing = allow_missing
        """``repro --allow-missing``: missing data alone leaves the stage unchanged"""
        self.reasons: list[str] = []

    def configure_task(self, task: Any) -> None:
        """Attach the lock writer; doit runs value savers in the main process after success."""
        task.value_savers.append(self._saver(task))

    def _saver(self, task: Any) -> Callable[[], dict[str, Any]]:
        def save_lock() -> dict[str, Any]:
            raw = task.values.get("lock")
            if raw is None:
                return {}
            index = self.session.index
            stage = index.stages[self.name]
            entry = parse_entry(raw, f"{self.name} (run result)")
            written = record(index.project.root, stage, entry, index.project.lock_writes)
            index.locks[self.name] = entry
            lock = stage.file if stage.single else posixpath.join(
                posixpath.dirname(stage.file), LOCK_FILE)
            track = list(task.values.get("gitignores") or [])
            if written != "unchanged":
                track.append(lock)
            # NOTE: read by dvcdoit's reporter: DVC's lock lines and its git hint
            return {"lock_written": written, "lock_file": lock, "track": track,
                    **autostaged(self.session, track)}

        return save_lock

    def check(self, index: Index) -> bool:
        """Compute the status; remember the reasons for ``repr``."""
        stage = index.stages[self.name]
        single = index.singles.get(self.name)
        st = status(index.project.workspace, stage, index.locks.get(self.name),
                    single.changed_checksum if single else False)
        self.reasons = st.reasons()
        return not st.changed or (self.allow_missing and missing_only(index, st))

    def __call__(self, task: Any, values: Any) -> bool:
        """doit's hook: True when the stage matches its lock entry.

        The first check of a doit run takes DVC's repo lock for the rest of the run (this is
        doit's main process), so dvc and dvcdoit never work on the repo at once.
        """
        index = self.session.index
        index.project.hold_lock()
        return _checked(lambda: self.check(index), self.reasons)

    def __repr__(self) -> str:
        return "; ".join(self.reasons) or f"stage '{self.name}' changed"


def autostaged(session: Session, track: list[str]) -> dict[str, Any]:
    """With ``core.autostage``, ``git add`` the files a task changed (in doit's main process)
    and say so in the task's values; else nothing."""
    project = session.project
    if not track or not project.config.autostage or project.config.no_scm:
        return {}
    stage_files(project.root, track)
    return {"autostaged": True}


class SourceUpToDate:
    """``uptodate`` item of a ``repro:<file>.dvc`` data-source verification task."""

    def __init__(self, session: Session, name: str) -> None:
        self.session = session
        self.name = name
        self.reasons: list[str] = []

    def configure_task(self, task: Any) -> None:
        """Stage the rewritten ``.dvc`` file under ``core.autostage`` after a success."""
        task.value_savers.append(lambda: autostaged(self.session,
                                                    list(task.values.get("track") or [])))

    def __call__(self, task: Any, values: Any) -> bool:
        """True when the data source's outputs match its ``.dvc`` file."""
        index = self.session.index
        index.project.hold_lock()
        return _checked(lambda: self._check(index), self.reasons)

    def _check(self, index: Index) -> bool:
        st = source_status(index.project.workspace, index.sources[self.name])
        self.reasons = [f"changed outs: {w}: {p}" for p, w in st.outs.items()] if st else []
        return st is None

    def __repr__(self) -> str:
        return "; ".join(self.reasons) or f"data source '{self.name}' changed"
