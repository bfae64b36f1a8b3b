"""doit's ``file_dep`` checker, extended to directories: a user task may depend on a directory.

doit's own ``MD5Checker`` reads every ``file_dep`` as a file, so a task with a directory
(a stage's output directory, say ``data/prepared``) in its ``file_dep`` ran and then crashed
with ``IsADirectoryError`` when doit saved its state (doit PR #256 was never merged). This
checker keeps doit's behaviour for files (mtime unchanged → same; size changed → modified;
else compare md5) and gives a directory DVC's directory hash (the ``md5.dir`` that
``dvc.lock`` records for an output), computed through dvcdoit's state DB, so an unchanged
directory costs a stat per file and a changed one reruns the task.

NOTE: the class is called ``MD5Checker`` like doit's on purpose: doit stores the checker's
class name with each task's state and reruns every task whose checker name changed, so a
project that starts using dvcdoit's ``DOIT_CONFIG`` reruns nothing because of it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from doit.dependency import MD5Checker as DoitMD5Checker

from dvcdoit.core.errors import DvcDoitError
from dvcdoit.pipeline.session import Session

DIR_STATE = "dvc-dir"


class MD5Checker(DoitMD5Checker):  # type: ignore[misc]
    """doit's MD5 checker for files; a directory's state is ``["dvc-dir", <md5>.dir]``."""

    def __init__(self) -> None:
        super().__init__()
        self._session: Session | None = None

    def _dir_state(self, path: str) -> list[str]:
        """The directory's DVC hash (a directory outside any repo is always "modified")."""
        full = Path(path).resolve()
        try:
            if self._session is None:
                self._session = Session.find(full)
            value = self._session.project.workspace.hash(full).hi.value
        except DvcDoitError as exc:
            value = f"unhashable: {exc}"
        return [DIR_STATE, value]

    def check_modified(self, file_path: str, file_stat: os.stat_result, state: Any) -> bool:
        """True if ``file_path`` changed since ``state`` (saved by :meth:`get_state`)."""
        if stat.S_ISDIR(file_stat.st_mode):
            return bool(list(state) != self._dir_state(file_path))
        if state and state[0] == DIR_STATE:
            return True  # NOTE: was a directory, now a file
        return bool(super().check_modified(file_path, file_stat, state))

    def get_state(self, dep: str, current_state: Any) -> Any:
        """The state to save after a success; None when ``current_state`` still holds."""
        if os.path.isdir(dep):
            new = self._dir_state(dep)
            return None if current_state and list(current_state) == new else new
        if current_state and current_state[0] == DIR_STATE:
            current_state = None
        return super().get_state(dep, current_state)
