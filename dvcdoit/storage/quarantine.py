"""Corrupt cache objects: the record of one (:class:`Corruption`) and moving it aside.

A cache object whose bytes do not hash to its name is never deleted (no data is lost) and
never used again: it is renamed to ``<cache>/quarantine/<oid>.<actual md5>``
(:meth:`ObjectCache.quarantine`). That place is inside the cache, so on the same
filesystem (one rename, nothing copied), and outside every place DVC 3.67.1 reads objects
from (``files/md5/``, ``runs/``, the legacy two-hex-digit prefixes), so DVC's ``gc``,
``status`` and ``push`` neither see nor remove it (tests/test_verify.py checks this with the
real DVC). The same bad bytes set aside twice share one name. The object is then missing,
which is what it is: ``pull`` or adding the file again restores it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from dvcdoit.core.errors import DvcDoitError
from dvcdoit.core.hashing import HashInfo
from dvcdoit.storage.cache import ObjectCache


@dataclass(frozen=True)
class Corruption:
    """A cache object whose bytes do not hash to its name (or that is unusable), and its fate.

    ``actual`` is the digest its bytes do have; ``name`` the workspace path it stands for,
    when known; ``problem`` is empty when the content does not match the name, else what is
    wrong with it (an invalid ``.dir`` manifest). ``path`` is where it was, ``moved_to``
    where it is now, or None when it was not moved (``error`` says why a move failed).
    Callers may rewrite the paths for display.
    """

    hi: HashInfo
    actual: str
    path: str
    moved_to: str | None = None
    name: str = ""
    problem: str = ""
    error: str = ""

    def shown_from(self, root: Path) -> Corruption:
        """This record with its paths relative to ``root`` (when below it), for messages."""
        def rel(path: str) -> str:
            out = os.path.relpath(path, root)
            return path if out == ".." or out.startswith("../") else Path(out).as_posix()

        moved = rel(self.moved_to) if self.moved_to is not None else None
        return replace(self, path=rel(self.path), moved_to=moved)


def set_aside(cache: ObjectCache, hi: HashInfo, actual: str, name: str = "",
              problem: str = "") -> Corruption:
    """Quarantine object ``hi`` of ``cache`` and describe it; a failed move is described, not raised."""
    path = cache.path_str(hi)
    try:
        moved = os.fspath(cache.quarantine(hi, actual))
    except DvcDoitError as exc:
        return Corruption(hi, actual, path, None, name, problem, str(exc))
    except OSError as exc:  # NOTE: e.g. gone meanwhile (another process moved it first)
        return Corruption(hi, actual, path, None, name, problem, exc.strerror or str(exc))
    return Corruption(hi, actual, path, moved, name, problem)
