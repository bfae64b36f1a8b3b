"""What a transfer did, object by object: :class:`TransferResult`, returned as data by
:mod:`dvcdoit.storage.transfer` (per-object failures are never raised)."""

from __future__ import annotations

from dataclasses import dataclass

from dvcdoit.core.hashing import HashInfo
from dvcdoit.storage.quarantine import Corruption

Item = tuple[str, HashInfo]
"""``(display name, object)``: an output of a ``.dvc`` file or lock entry, or a member of one."""


@dataclass(frozen=True)
class TransferResult:
    """What a push or fetch did, object by object.

    ``transferred``: objects that moved (``.dir`` manifests included, as DVC counts them);
    ``failed``: ``(name, hash, reason)`` for objects that could not move or were corrupt;
    ``missing``: objects that are neither in the source nor anywhere to get them from;
    ``corrupted``: cache objects found not to match their names while read (never uploaded),
    each moved aside (:mod:`dvcdoit.storage.quarantine`).
    """

    transferred: tuple[Item, ...] = ()
    failed: tuple[tuple[str, HashInfo, str], ...] = ()
    missing: tuple[Item, ...] = ()
    corrupted: tuple[Corruption, ...] = ()

    @property
    def ok(self) -> bool:
        """True when nothing failed, nothing was missing and nothing was corrupt."""
        return not self.failed and not self.missing and not self.corrupted

    def __add__(self, other: TransferResult) -> TransferResult:
        return TransferResult(self.transferred + other.transferred, self.failed + other.failed,
                              self.missing + other.missing, self.corrupted + other.corrupted)


__all__ = ["Item", "TransferResult"]
