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
