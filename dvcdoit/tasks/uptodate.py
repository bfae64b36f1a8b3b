"""doit ``uptodate`` object for a stage: compares cmd, deps, params and outs with ``dvc.lock``.

Shaped like ``doit.tools.config_changed``: ``configure_task`` hooks the task (it adds the
value saver that writes the lock entry in doit's main process after a success) and
``__call__(task, values)`` returns True when the stage is unchanged. Everything comes from
``dvc.lock`` and the state DB, never from ``.doit.db``, so a fresh clone with a valid lock
runs nothing. ``repr()`` gives the reason in DVC's words (``changed deps: modified: x``),
which is what ``doit info`` prints.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dvcdoit.formats.lock import parse_entry
from dvcdoit.pipeline.index import Index, open_index
from dvcdoit.pipeline.stage import record, status
from dvcdoit.repo.sources import status as source_status


class StageUpToDate:
    """``uptodate`` item of the ``repro:<stage>`` task (True = unchanged)."""

    def __init__(self, root: str, name: str) -> None:
        self.root = root
        self.name = name
        self.reasons: list[str] = []

    def configure_task(self, task: Any) -> None:
        """Attach the lock writer; doit runs value savers in the main process after success."""
        task.value_savers.append(self._saver(task))

    def _saver(self, task: Any) -> Callable[[], dict[str, Any]]:
        def save_lock() -> dict[str, Any]:
            raw = task.values.get("lock")
            if raw is not None:
                index = open_index(self.root)
                entry = parse_entry(raw, f"{self.name} (run result)")
                record(index.project.root, index.stages[self.name], entry)
                index.locks[self.name] = entry
            return {}

        return save_lock

    def check(self, index: Index) -> bool:
        """Compute the status; remember the reasons for ``repr``."""
        stage = index.stages[self.name]
        single = index.singles.get(self.name)
        st = status(index.project.workspace, stage, index.locks.get(self.name),
                    single.changed_checksum if single else False)
        self.reasons = st.reasons()
        return not st.changed

    def __call__(self, task: Any, values: Any) -> bool:
        """doit's hook: True when the stage matches its lock entry.

        The first check of a doit run takes DVC's repo lock for the rest of the run (this is
        doit's main process), so dvc and dvcdoit never work on the repo at once.
        """
        index = open_index(self.root)
        index.project.hold_lock()
        return self.check(index)

    def __repr__(self) -> str:
        return "; ".join(self.reasons) or f"stage '{self.name}' changed"


class SourceUpToDate:
    """``uptodate`` item of a ``repro:<file>.dvc`` data-source verification task."""

    def __init__(self, root: str, name: str) -> None:
        self.root = root
        self.name = name
        self.reasons: list[str] = []

    def __call__(self, task: Any, values: Any) -> bool:
        """True when the data source's outputs match its ``.dvc`` file."""
        index = open_index(self.root)
        index.project.hold_lock()
        st = source_status(index.project.workspace, index.sources[self.name])
        self.reasons = [f"changed outs: {w}: {p}" for p, w in st.outs.items()] if st else []
        return st is None

    def __repr__(self) -> str:
        return "; ".join(self.reasons) or f"data source '{self.name}' changed"
