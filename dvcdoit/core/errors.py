"""Every exception dvcdoit raises on purpose; all inherit from :class:`DvcDoitError`.

A ``DvcDoitError`` is a user-facing problem: the CLI prints ``ERROR: <message>`` on one
line and exits non-zero, with no traceback. Anything else escaping is a bug.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class DvcDoitError(Exception):
    """Root of every error dvcdoit reports to a user."""


class NotARepoError(DvcDoitError):
    """No ``.dvc/`` directory was found at or above the working directory."""


class RepoLockedError(DvcDoitError):
    """Another dvc or dvcdoit process holds ``.dvc/tmp/lock``."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one file: where (``file`` and ``field``), what, and how to fix it.

    ``field`` is the path of the value inside the file (``stages.train.outs[1]``,
    ``outs[0].md5``, ``[3]`` for a manifest row, a line number for YAML syntax), or ``""`` for
    the file as a whole. ``fix`` tells the user what to do (``""`` when the message says it).
    ``sep`` is what separates file and field on screen: ``":"`` for ``dvc.yaml``-style paths
    (``dvc.yaml:stages.a.cmd``, like a compiler's ``file:line``), ``": "`` for the formats
    that always printed the field as the first word of the message (``x.dvc: outs[0].md5``).
    """

    file: str
    field: str
    message: str
    fix: str = ""
    sep: str = ":"

    def __str__(self) -> str:
        head = f"{self.file}{self.sep}{self.field}" if self.field else self.file
        tail = f"; {self.fix}" if self.fix else ""
        return f"{head}: {self.message}{tail}"


class Problems:
    """Collects the problems of one file while it is validated, so all are raised at once.

    Validators call :meth:`add` for each problem and :meth:`raise_if_any` when done; the
    user sees every problem of the file in one :class:`FormatError` line.
    """

    def __init__(self, file: str, sep: str = ":") -> None:
        self.file = file
        self.sep = sep
        self.items: list[Problem] = []

    def add(self, field: str, message: str, fix: str = "") -> None:
        """Record that ``field`` (``""`` for the whole file) has ``message``; ``fix`` says what to do."""
        self.items.append(Problem(self.file, field, message, fix, self.sep))

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)

    def error(self) -> FormatError:
        """The :class:`FormatError` listing every problem recorded (there must be one)."""
        return FormatError(self.items)

    def raise_if_any(self) -> None:
        """Raise :meth:`error` if any problem was recorded."""
        if self.items:
            raise FormatError(self.items)


class FormatError(DvcDoitError):
    """An on-disk file (``.dvc``, ``dvc.yaml``, ``dvc.lock``, config, manifest) is malformed.

    It carries the typed :class:`Problem` values; its message joins them with ``"; "``,
    e.g. ``dvc.yaml:stages.train.outs[1].cache: expected true or false, got 'no'``.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        if not problems:
            msg = "a FormatError needs at least one Problem"
            raise ValueError(msg)
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))

    @property
    def file(self) -> str:
        """The file of the first problem (all problems of one raise name the same file)."""
        return self.problems[0].file

    def __reduce__(self) -> tuple[type[FormatError], tuple[tuple[Problem, ...]]]:
        # NOTE: fanout sends errors back from worker processes pickled
        return (type(self), (self.problems,))


class PathError(DvcDoitError):
    """A path is outside the repo, inside ``.dvc/``, or otherwise not usable."""


class HashingError(DvcDoitError):
    """A file could not be hashed (broken symlink, unreadable, vanished)."""


class CacheError(DvcDoitError):
    """The local cache is missing an object or holds a corrupt one."""


class ObjectMissingError(CacheError):
    """An object referenced by an output is not in the cache."""


class ObjectCorruptError(CacheError):
    """A cache object's bytes do not hash to its name; ``actual`` is the digest they do have.

    Raised where the bytes are read anyway (an upload, a manifest read), so the object is
    caught before it leaves the cache; callers move it aside (``ObjectCache.quarantine``).
    """

    def __init__(self, message: str, actual: str) -> None:
        self.actual = actual
        super().__init__(message)

    def __reduce__(self) -> tuple[type[ObjectCorruptError], tuple[str, str]]:
        """Pickle by the constructor's arguments (errors travel back from forked workers)."""
        return (type(self), (str(self), self.actual))


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


class FilesystemError(DvcDoitError):
    """An operating-system call on a path failed for a reason the user can fix.

    Permission denied, disk full, read-only filesystem, name too long: the message names
    the operation, the path and the fix, e.g. ``cannot read 'data/x.csv': Permission denied;
    check its permissions``. Use :meth:`from_oserror` to get the subclass for the errno.
    """

    hint = ""

    def __init__(self, operation: str, path: str, reason: str, errno: int | None = None) -> None:
        self.operation = operation
        self.path = path
        self.reason = reason
        self.errno = errno
        super().__init__(f"cannot {operation} '{path}': {reason}{self.hint}")

    def __reduce__(self) -> tuple[type[FilesystemError], tuple[str, str, str, int | None]]:
        """Pickle by the constructor's arguments (errors travel back from forked workers)."""
        return (type(self), (self.operation, self.path, self.reason, self.errno))

    @classmethod
    def from_oserror(cls, exc: OSError, operation: str, path: str) -> FilesystemError:
        """The subclass for ``exc.errno`` (this class when none fits), about ``path``."""
        import errno as e

        kinds: dict[int, type[FilesystemError]] = {
            e.EACCES: PermissionDeniedError, e.EPERM: PermissionDeniedError,
            e.ENOSPC: DiskFullError, e.EDQUOT: DiskFullError, e.EROFS: ReadOnlyFilesystemError,
            e.ENAMETOOLONG: NameTooLongError}
        kind = kinds.get(exc.errno or 0, cls)
        return kind(operation, path, exc.strerror or str(exc), exc.errno)


class PermissionDeniedError(FilesystemError):
    """EACCES/EPERM: the path's permissions forbid the operation."""

    hint = "; check its permissions (and those of its parent directories)"


class DiskFullError(FilesystemError):
    """ENOSPC/EDQUOT: the filesystem (or the user's quota) has no room left."""

    hint = "; free some space on that filesystem and run the command again"


class ReadOnlyFilesystemError(FilesystemError):
    """EROFS: the path is on a filesystem mounted read-only."""

    hint = "; the filesystem is mounted read-only: remount it read-write or work on a copy"


class NameTooLongError(FilesystemError):
    """ENAMETOOLONG: a file name (or the whole path) is longer than the filesystem allows."""

    hint = "; use a shorter file name or a shallower directory"
