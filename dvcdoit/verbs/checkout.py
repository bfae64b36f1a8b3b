"""``checkout`` for a whole repo: restore the selected outputs from the cache.

Returns data (what changed, what failed); the caller renders it.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from dvcdoit.core.errors import CheckoutError, DvcDoitError
from dvcdoit.pipeline.index import Index
from dvcdoit.pipeline.selection import Selection
from dvcdoit.repo.workspace import Changed
from dvcdoit.verbs.tracked import tracked

Progress = Callable[[int], None]


def checkout(index: Index, selection: Selection, force: bool = False,
             progress: Progress | None = None,
             ) -> tuple[list[tuple[str, str]], list[str], Changed]:
    """Restore every tracked output of ``selection`` from the cache.

    Returns ``(changes, failures, counts)``: ``("A" | "M", path)`` for outputs created or
    modified (directories end with ``/``), one message per output that could not be
    restored (the others still are), and the files changed, as DVC counts them.
    """
    changes: list[tuple[str, str]] = []
    failures: list[str] = []
    counts = Changed()
    project = index.project
    ws = project.workspace
    for t in tracked(index, selection):
        path = project.root / t.path
        existed = os.path.lexists(path)
        try:
            changed = ws.checkout(path, t.hi, t.isexec, force, progress)
        except CheckoutError as exc:
            failures.extend(exc.failures)
            continue
        except DvcDoitError as exc:  # NOTE: reported per output; the others are restored
            failures.append(str(exc))
            continue
        if changed:
            changes.append(("M" if existed else "A", t.path + ("/" if t.hi.isdir else "")))
            counts.add(changed)
    return changes, failures, counts
