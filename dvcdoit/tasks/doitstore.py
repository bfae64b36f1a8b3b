"""doit's sqlite dep DB for ``dvcdoit repro``, tolerant of a write that fails.

dvcdoit never needs that DB (stages are checked against ``dvc.lock``), but doit writes to it
after every task, and a failed write (``.dvc/tmp`` read-only, a full disk) ends the run in
doit's traceback, before the stage's own one-line error is reported. Reads are doit's.
"""

from __future__ import annotations

import contextlib
import sqlite3
from typing import Any

from doit.dependency import SqliteDB

NAME = "dvcdoit-sqlite3"
LOCATION = f"{__name__}:TolerantSqliteDB"


class TolerantSqliteDB(SqliteDB):  # type: ignore[misc]
    """:class:`doit.dependency.SqliteDB` whose writes give up quietly when sqlite refuses."""

    desc = "doit's sqlite3 backend, whose failed writes do not stop the run"

    def remove(self, task_id: Any) -> None:
        """Forget a task (doit's reaction to a failure); a refused write is let go."""
        with contextlib.suppress(sqlite3.OperationalError):
            super().remove(task_id)

    def dump(self) -> None:
        """Save what doit recorded; a refused write is let go (nothing depends on it)."""
        with contextlib.suppress(sqlite3.OperationalError):
            super().dump()


__all__ = ["LOCATION", "NAME", "TolerantSqliteDB"]
