"""``-v``: DVC-style debug lines with timings on stderr, before or after the verb; stdout is
what it is without ``-v``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import Runner, write_tree

LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} DEBUG: (.*)$")


def _debug(stderr: str) -> list[str]:
    lines = stderr.splitlines()
    found = [LINE.match(line) for line in lines]
    assert all(found), [line for line, m in zip(lines, found, strict=True) if not m]
    return [m.group(1) for m in found if m]


@pytest.fixture
def tracked(git_repo: Path, dvcdoit: Runner, dvcdoit_proc: Runner) -> Path:
    write_tree(git_repo, {"data/a.txt": "a\n", "data/b.txt": "bb\n", "one.txt": "1\n"})
    dvcdoit_proc("init", "-q")
    dvcdoit_proc("add", "-q", "data", "one.txt")
    dvcdoit_proc("remote", "add", "-d", "store", str(git_repo.parent / "store"))
    return git_repo


@pytest.mark.parametrize("argv", [("-v", "status"), ("status", "-v")])
def test_status_debug_lines(tracked: Path, dvcdoit_proc: Runner, argv: tuple[str, ...]) -> None:
    plain = dvcdoit_proc("status")
    out = dvcdoit_proc(*argv)
    assert out.stdout == plain.stdout == "Data and pipelines are up to date.\n"
    assert plain.stderr == ""
    lines = _debug(out.stderr)
    assert re.fullmatch(r"dvcdoit \S+, CPython [\d.]+ on \S+", lines[0])
    assert lines[1] == f"command: dvcdoit {' '.join(argv)}"
    assert "hashed 'data' (2 files): unchanged tree, from the state DB" in lines
    assert any(re.fullmatch(r"hashed 1 file 'one.txt' \(0 read, 0 bytes; 1 from the state DB\) "
                            r"in \d+\.\d{3} s", line) for line in lines), lines


def test_add_and_push_debug_lines_have_timings(tracked: Path, dvcdoit_proc: Runner) -> None:
    (tracked / "data" / "c.txt").write_text("ccc\n")
    lines = _debug(dvcdoit_proc("add", "-v", "data").stderr)
    assert any(re.fullmatch(r"hashed 3 files under 'data' \(1 read, 4 bytes; 2 from the state "
                            r"DB\) in \d+\.\d{3} s", line) for line in lines), lines
    out = dvcdoit_proc("push", "-v")
    assert out.stdout == "5 files pushed\n"
    lines = _debug(out.stderr)
    assert any(re.fullmatch(r"checked 2 object\(s\) on the remote \(0 there\) in \d+\.\d{3} s",
                            line) for line in lines), lines
    assert any(re.fullmatch(r"uploaded 4 objects \(forked: \d+\) in \d+\.\d{3} s", line)
               for line in lines), lines


def test_a_stage_run_is_timed(git_repo: Path, dvcdoit_proc: Runner) -> None:
    dvcdoit_proc("init", "-q")
    dvcdoit_proc("stage", "add", "-q", "-n", "hello", "-o", "out.txt", "echo hi > out.txt")
    out = dvcdoit_proc("repro", "-v")
    assert "Running stage 'hello':\n> echo hi > out.txt\n" in out.stdout
    assert any(re.fullmatch(r"stage 'hello': ran 'echo hi > out.txt' in \d+\.\d{3} s", line)
               for line in _debug(out.stderr))


def test_one_verbose_command_leaves_the_next_quiet(tracked: Path, dvcdoit: Runner) -> None:
    """In one process (a ``dodo.py`` calling the CLI, or this suite's in-process runner), a
    ``-v`` command puts the ``dvcdoit`` logger back as it found it."""
    assert _debug(dvcdoit("-v", "status").stderr)
    after = dvcdoit("status")
    assert (after.stdout, after.stderr) == ("Data and pipelines are up to date.\n", "")
