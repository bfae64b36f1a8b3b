"""fanout.fork_map: forked workers for many small jobs, with errors and progress brought home."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from dvcdoit.core import fanout
from dvcdoit.core.errors import DvcDoitError, FormatError, HashingError, Problem

ROOT = Path(__file__).resolve().parents[1]
needs_two = pytest.mark.skipif(fanout.workers() < 2, reason="forks only with 2+ usable cores")


def _children() -> set[int]:
    """Child processes of this one that fork_map left behind (others, e.g. servers, excluded)."""
    pid = os.getpid()
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return {int(c) for c in f.read().split()} - _OTHERS


_OTHERS: set[int] = set()


@pytest.fixture(autouse=True)
def _no_other_thread() -> None:
    """fork_map forks only when no other thread is alive: one that an earlier test left
    (a server's handler on an idle connection, an unjoined pool) is named here, instead of
    a fork test failing on its pids."""
    for _ in range(50):
        if threading.active_count() == 1:
            return
        time.sleep(0.1)
    names = sorted(t.name for t in threading.enumerate() if t is not threading.main_thread())
    pytest.fail(f"threads left alive by earlier tests: {names}")


@pytest.fixture(autouse=True)
def _known_children() -> None:
    pid = os.getpid()
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        _OTHERS.update(int(c) for c in f.read().split())


def _tag(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


@needs_two
def test_results_in_order_from_several_processes() -> None:
    items = list(range(3000))
    out = fanout.fork_map(_tag, items)
    assert [v for v, _ in out] == [x * x for x in items]
    pids = {pid for _, pid in out}
    assert os.getpid() in pids
    assert len(pids) == min(4, fanout.workers())


def test_few_items_stay_in_this_process() -> None:
    out = fanout.fork_map(_tag, list(range(10)))
    assert {pid for _, pid in out} == {os.getpid()}


@needs_two
def test_limit_one_means_no_fork() -> None:
    out = fanout.fork_map(_tag, list(range(3000)), limit=1)
    assert {pid for _, pid in out} == {os.getpid()}


def test_no_fork_while_another_thread_runs() -> None:
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert fanout.workers() == 1
        out = fanout.fork_map(_tag, list(range(3000)))
        assert {pid for _, pid in out} == {os.getpid()}
    finally:
        stop.set()
        t.join()


@needs_two
def test_progress_counts_every_item() -> None:
    seen: list[int] = []
    fanout.fork_map(_tag, list(range(2500)), seen.append)
    assert sum(seen) == 2500
    assert max(seen) > 1  # a child's slice arrives in one report


def _fail_late(x: int) -> int:
    if x == 2900:
        msg = f"'data/f{x}' vanished while it was being hashed"
        raise HashingError(msg)
    return x


@needs_two
def test_a_childs_error_is_raised_here_with_its_class_and_words() -> None:
    with pytest.raises(HashingError, match=r"^'data/f2900' vanished while it was being hashed$"):
        fanout.fork_map(_fail_late, list(range(3000)))
    assert _children() == set()  # every child was reaped


class _TwoArgError(DvcDoitError):
    """Pickles, but cannot be rebuilt: its args hold the joined message only."""

    def __init__(self, file: str, problem: str) -> None:
        super().__init__(f"{file}: {problem}")


def _bad_format(x: int) -> int:
    if x == 2999:
        file, problem = "data.dvc", "outs[0].md5: not a hex digest"
        raise _TwoArgError(file, problem)
    return x


@needs_two
def test_an_error_that_cannot_be_rebuilt_keeps_its_message() -> None:
    with pytest.raises(DvcDoitError, match=r"^data.dvc: outs\[0\].md5: not a hex digest$"):
        fanout.fork_map(_bad_format, list(range(3000)))


def _bad_manifest(x: int) -> int:
    if x == 2999:
        raise FormatError([Problem("data.dvc", "outs[0].md5", "not a hex digest", sep=": ")])
    return x


@needs_two
def test_a_format_error_travels_with_its_problems() -> None:
    with pytest.raises(FormatError, match=r"^data.dvc: outs\[0\].md5: not a hex digest$") as exc:
        fanout.fork_map(_bad_manifest, list(range(3000)))
    assert exc.value.problems == (Problem("data.dvc", "outs[0].md5", "not a hex digest", sep=": "),)


KILLED_CHILD = """\
import os, signal
from dvcdoit.core import fanout
from dvcdoit.core.errors import DvcDoitError
main = os.getpid()
def die(x):
    if x == 2999 and os.getpid() != main:  # NOTE: only ever a forked child
        os.kill(os.getpid(), signal.SIGKILL)
    return x
try:
    fanout.fork_map(die, list(range(3000)))
    print("no error")
except DvcDoitError as exc:
    print(exc)
"""


@needs_two
def test_a_killed_child_is_an_error_not_missing_results() -> None:
    # NOTE: in a fresh interpreter: this one may hold other threads (a Dask client's, from
    # an earlier test), and fork_map does not fork then; the kill would hit pytest itself
    out = subprocess.run([sys.executable, "-c", KILLED_CHILD], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout
    assert out == ("a worker process was killed by signal 9 before it finished its files; "
                   "run again\n")


def _fail_first(x: int) -> int:
    if x == 0:
        msg = "first slice failed"
        raise DvcDoitError(msg)
    return x


@needs_two
def test_this_processs_error_waits_for_the_children() -> None:
    with pytest.raises(DvcDoitError, match="first slice failed"):
        fanout.fork_map(_fail_first, list(range(3000)))
    assert _children() == set()


def test_no_fork_off_linux_or_inside_a_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fanout.sys, "platform", "darwin")
    assert fanout.workers() == 1
    monkeypatch.undo()
    monkeypatch.setattr(fanout, "_FORKED", True)
    assert fanout.workers() == 1
    out = fanout.fork_map(_tag, list(range(3000)))
    assert {pid for _, pid in out} == {os.getpid()}


@needs_two
def test_a_failed_fork_is_done_here_instead(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fork() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(fanout.os, "fork", no_fork)
    seen: list[int] = []
    out = fanout.fork_map(_tag, list(range(3000)), seen.append)
    assert [v for v, _ in out] == [x * x for x in range(3000)]
    assert {pid for _, pid in out} == {os.getpid()}
    assert sum(seen) == 3000
    assert _children() == set()


def _where(x: int) -> tuple[int, int, int]:
    return x, os.getpid(), threading.get_ident()


@needs_two
def test_map_by_size_big_files_on_threads_small_ones_forked() -> None:
    """Large files go to threads (balanced by size), small ones to forked children."""
    big, small = fanout.THREAD_MIN_SIZE, 10
    sizes = [big * 3, big, big * 2, *([small] * (2 * fanout.MIN_ITEMS))]
    items = list(range(len(sizes)))
    seen: list[int] = []
    out = fanout.map_by_size(_where, items, sizes, seen.append, limit=2)
    assert [x for x, _, _ in out] == items
    assert sum(seen) == len(items)
    main = threading.get_ident()
    assert all(pid == os.getpid() and tid != main for _, pid, tid in out[:3])
    assert len({pid for _, pid, _ in out[3:]}) == 2
    assert not _children()


def test_map_by_size_serial_with_limit_one() -> None:
    sizes = [fanout.THREAD_MIN_SIZE * 2] * 3 + [1] * 5
    out = fanout.map_by_size(_where, list(range(8)), sizes, limit=1)
    assert out == [(k, os.getpid(), threading.get_ident()) for k in range(8)]
