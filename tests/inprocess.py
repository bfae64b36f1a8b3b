"""Run the ``dvcdoit`` command line in the test's own process: ``invoke(argv)``.

It calls :func:`dvcdoit.cli.run` as the console script does and returns what a subprocess
would: the exit code and everything written to stdout and stderr. Output is captured at the
file-descriptor level, so a stage command's own output (a shell child writing to fd 1) and
doit's forked ``-n`` workers are captured too. What one call leaves in the process is undone:
the cwd, ``sys.path``, the environment, and any module doit imported from the repo (a
``dodo.py``), so that the next call loads its own.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from dvcdoit import cli


@contextlib.contextmanager
def _captured() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    """Point fds 1 and 2 (and ``sys.stdout``/``sys.stderr``) at temp files for the block."""
    out, err = io.StringIO(), io.StringIO()
    saved_streams = sys.stdout, sys.stderr
    for stream in saved_streams:
        stream.flush()
    saved_fds = os.dup(1), os.dup(2)
    with tempfile.TemporaryFile() as fout, tempfile.TemporaryFile() as ferr:
        os.dup2(fout.fileno(), 1)
        os.dup2(ferr.fileno(), 2)
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        try:
            yield out, err
        finally:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(OSError, ValueError):
                    stream.flush()
            sys.stdout, sys.stderr = saved_streams
            os.dup2(saved_fds[0], 1)
            os.dup2(saved_fds[1], 2)
            for fd in saved_fds:
                os.close(fd)
            for src, dst in ((fout, out), (ferr, err)):
                src.seek(0)
                dst.write(src.read().decode("utf-8", errors="replace"))


_KEPT = tuple(os.path.join(os.path.realpath(p), "") for p in
              (sys.prefix, sys.base_prefix, Path(__file__).resolve().parents[1]))


def _from_a_repo(module: object) -> bool:
    """True for a module loaded from outside Python, its packages and this project."""
    file = getattr(module, "__file__", None)
    return bool(file) and not os.path.realpath(str(file)).startswith(_KEPT)


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    return exc.code if isinstance(exc.code, int) else 1


def invoke(argv: Sequence[str], cwd: str | Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``dvcdoit ARGV`` in this process (in ``cwd`` if given)."""
    here, path, env, modules = os.getcwd(), list(sys.path), dict(os.environ), set(sys.modules)
    try:
        if cwd is not None:
            os.chdir(cwd)
        with _captured() as (out, err):
            try:
                code = cli.run(list(argv))
            except SystemExit as exc:  # NOTE: argparse's usage errors and --help
                code = _exit_code(exc)
    finally:
        os.chdir(here)
        sys.path[:] = path
        os.environ.clear()
        os.environ.update(env)
        for name in set(sys.modules) - modules:
            if _from_a_repo(sys.modules[name]):
                del sys.modules[name]  # NOTE: the repo's dodo.py, which doit imported
    return subprocess.CompletedProcess(["dvcdoit", *argv], code, out.getvalue(), err.getvalue())
