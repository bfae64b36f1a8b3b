"""The ``dvcdoit`` command line: argv → calls → printed output and exit code.

This package is the only place that prints, parses ``sys.argv`` or exits. A
:class:`~dvcdoit.core.errors.DvcDoitError` becomes one ``ERROR: …`` line on stderr and exit
code 3 (doit's "user error"), and so does an OSError of the filesystem kind (permission,
full disk, read-only, name too long); a failed stage or transfer exits 1; Ctrl-C exits 130;
a closed stdout pipe exits 141 without a word; anything else is a bug and shows its traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence

from dvcdoit import __version__
from dvcdoit.core.errors import DvcDoitError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USER_ERROR = 3
EXIT_BROKEN_PIPE = 141  # NOTE: 128 + SIGPIPE, what a shell reports for git and DVC


_FAMILIES = {
    "data": ("init", "root", "checkout", "commit", "status"),
    "add": ("add",),
    "datastatus": ("data",),
    "remote": ("remote",),
    "config": ("config",),
    "transfer": ("push", "pull", "fetch"),
    "stage": ("run", "stage", "repro", "migrate"),
    "dag": ("dag",),
    "cache": ("cache",),
    "gc": ("gc",),
    "repo": ("install", "git-hook", "check-ignore", "version", "doctor", "du", "destroy"),
    "imports": ("import", "get"),
    "importurl": ("import-url", "get-url", "update"),
    "listing": ("ls", "list"),
    "metrics": ("metrics",),
    "params": ("params",),
    "plots": ("plots",),
    "diff": ("diff",),
    "manage": ("remove", "rm", "move", "mv", "freeze", "unfreeze", "unprotect"),
    "exp": ("exp", "experiments"),
    "queue": ("queue",),
}


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """Return the top-level parser.

    Only the module of the verb named in ``argv`` is imported (every module for ``--help`` or
    an unknown verb): start-up time matters for a command run as often as ``status``.
    """
    import importlib

    parser = argparse.ArgumentParser(
        prog="dvcdoit", description="DVC 3 data versioning and pipelines, run by doit.")
    parser.add_argument("--version", action="version", version=f"dvcdoit {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="also print debug lines with timings (stderr)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    verb = next((a for a in argv if not a.startswith("-")), None)
    families = [f for f, verbs in _FAMILIES.items() if verb in verbs] or list(_FAMILIES)
    for family in families:
        importlib.import_module(f"dvcdoit.cli.{family}").add_parsers(sub)
    _quiet_everywhere(parser)
    return parser


def _quiet_everywhere(parser: argparse.ArgumentParser) -> None:
    """Accept ``-q`` after the verb too (``dvcdoit init -q``), as DVC does, on every level.

    NOTE: ``SUPPRESS`` as the default, so a verb's own parser leaves the ``-q`` given before
    the verb in place (argparse copies a subparser's defaults over the parent's values).
    """
    for action in parser._actions:  # NOTE: argparse keeps subparsers only here
        if isinstance(action, argparse._SubParsersAction):
            for child in set(action.choices.values()):
                if "-q" not in child._option_string_actions:
                    child.add_argument("-q", "--quiet", action="store_true",
                                       default=argparse.SUPPRESS, help="print only errors")
                if "-v" not in child._option_string_actions:
                    child.add_argument("-v", "--verbose", action="store_true",
                                       default=argparse.SUPPRESS,
                                       help="also print debug lines with timings (stderr)")
                _quiet_everywhere(child)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``dvcdoit`` console script."""
    sys.exit(run(list(sys.argv[1:] if argv is None else argv)))


def run(argv: list[str]) -> int:
    """Parse ``argv``, run the handler, and turn errors into one line plus an exit code.

    A :class:`DvcDoitError`, a filesystem refusal (EACCES, ENOSPC, EROFS, ENAMETOOLONG:
    an OSError whose errno is in :data:`~dvcdoit.core.fsutil.FS_ERRNOS`) and a state
    database that cannot be written (sqlite3's OperationalError) print one ``ERROR:`` line
    and exit 3. Ctrl-C exits 130. A closed pipe on stdout (``dvcdoit status | head``) is
    silent (:class:`~dvcdoit.cli.pipe.PipeGuard`) and exits 141, as git (killed by SIGPIPE)
    and DVC (``ret = 141``) do, unless the command failed otherwise: then its own code.
    """
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    from dvcdoit.cli.pipe import PipeGuard

    guard = PipeGuard(sys.stdout)
    sys.stdout = guard  # type: ignore[assignment]
    try:
        with _debug_lines(argv, getattr(args, "verbose", False) is True), \
                _silenced(bool(getattr(args, "quiet", False))):
            code = _call(args)
        guard.flush()  # NOTE: a closed pipe shows here, not at exit with a traceback
    finally:
        sys.stdout = guard.stream
    return EXIT_BROKEN_PIPE if guard.broken and code == 0 else code


@contextlib.contextmanager
def _debug_lines(argv: list[str], verbose: bool) -> Iterator[None]:
    """``-v``: the ``dvcdoit.*`` debug records go to stderr as DVC's ``-v`` lines
    (``2026-12-04 19:59:54,276 DEBUG: …``), starting with the version and the command.

    The ``dvcdoit`` logger is put back as it was when the command ends, so that one ``-v``
    command run in a process (a test, a ``dodo.py`` calling :func:`run`) leaves the next
    command quiet.
    """
    if not verbose:
        yield
        return
    import logging
    import platform

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s DEBUG: %(message)s"))
    logger = logging.getLogger("dvcdoit")
    saved = logger.handlers[:], logger.level, logger.propagate
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        logger.debug("dvcdoit %s, %s %s on %s", __version__, platform.python_implementation(),
                     platform.python_version(), platform.platform())
        logger.debug("command: dvcdoit %s", " ".join(argv))
        yield
    finally:
        handler.flush()
        logger.handlers[:], logger.level, logger.propagate = saved


@contextlib.contextmanager
def _silenced(quiet: bool) -> Iterator[None]:
    """With ``-q``, everything a verb prints on stdout is dropped; errors (stderr) stay."""
    if not quiet:
        yield
        return
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        yield


def _call(args: argparse.Namespace) -> int:
    """Run the handler of ``args``; every error a user can act on becomes one line + code."""
    try:
        return int(args.func(args))
    except DvcDoitError as exc:
        return _error(str(exc))
    except KeyboardInterrupt:
        return _error("interrupted by the user", 130)
    except BrokenPipeError:  # NOTE: a write that went around sys.stdout
        return _broken_pipe()
    except OSError as exc:
        return _os_error(exc)
    except Exception as exc:
        if "sqlite3" not in sys.modules:  # NOTE: not imported, so not its error
            raise
        from dvcdoit.core.state import refusal

        error = refusal(exc)
        if error is None:
            raise
        return _error(str(error))


def _os_error(exc: OSError) -> int:
    """One line for a filesystem refusal (its errno in FS_ERRNOS); re-raise anything else."""
    from dvcdoit.core.fsutil import refusal

    error = refusal(exc)
    if error is None:
        raise exc
    return _error(str(error))


def _error(message: str, code: int = EXIT_USER_ERROR) -> int:
    with contextlib.suppress(BrokenPipeError):  # NOTE: stderr closed too: nothing to tell
        print(f"ERROR: {message}", file=sys.stderr)
    return code


def _broken_pipe() -> int:
    """Silence stdout (see :class:`~dvcdoit.cli.pipe.PipeGuard`) and return 141."""
    from dvcdoit.cli.pipe import PipeGuard

    stream = sys.stdout
    (stream if isinstance(stream, PipeGuard) else PipeGuard(stream)).silence()
    return EXIT_BROKEN_PIPE
