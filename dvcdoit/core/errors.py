"""Every exception dvcdoit raises on purpose; all inherit from :class:`DvcDoitError`.

A ``DvcDoitError`` is a user-facing problem: the CLI prints ``ERROR: <message>`` on one
line and exits non-zero, with no traceback. Anything else escaping is a bug.
"""

from __future__ import annotations


class DvcDoitError(Exception):
    """Root of every error dvcdoit reports to a user."""


class NotARepoError(DvcDoitError):
    """No ``.dvc/`` directory was found at or above the working directory."""


class RepoLockedError(DvcDoitError):
    """Another dvc or dvcdoit process holds ``.dvc/tmp/lock``."""


class FormatError(DvcDoitError):
    """An on-disk file (``.dvc``, ``dvc.yaml``, ``dvc.lock``, config, manifest) is malformed.

    The message names the file and the field, e.g. ``dvc.yaml:stages.train.outs[1]: ...``.
    """

    def __init__(self, file: str, problems: list[str] | str) -> None:
        self.file = file
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(f"{file}: {p}" for p in self.problems))


class PathError(DvcDoitError):
    """A path is outside the repo, inside ``.dvc/``, or otherwise not usable."""


class HashingError(DvcDoitError):
    """A file could not be hashed (broken symlink, unreadable, vanished)."""


class CacheError(DvcDoitError):
    """The local cache is missing an object or holds a corrupt one."""


class ObjectMissingError(CacheError):
    """An object referenced by an output is not in the cache."""


class CheckoutError(DvcDoitError):
    """Some outputs could not be restored; the others were."""

    def __init__(self, failures: list[str]) -> None:
        self.failures = failures
        super().__init__("checkout failed for: " + "; ".join(failures))


class ConfigError(DvcDoitError):
    """``.dvc/config`` is malformed or names an unknown remote."""


class RemoteError(DvcDoitError):
    """A remote could not be reached, or an object transfer failed."""


class StageError(DvcDoitError):
    """A stage is invalid, or its command failed."""


class GraphError(DvcDoitError):
    """The stage graph has a cycle, duplicate or overlapping outputs."""
