"""core.tempname: one temp-name scheme, its parser, the stale test and the sweep."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dvcdoit.core import fsutil, tempname


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_name_carries_prefix_and_pid() -> None:
    n = tempname.name()
    assert n.startswith(f".dvcdoit-{os.getpid()}-") and n.endswith(".tmp")
    assert tempname.owner_pid(n) == os.getpid()
    assert tempname.name("ab12") == f".dvcdoit-{os.getpid()}-ab12.tmp"
    assert tempname.name() != tempname.name()


@pytest.mark.parametrize(("name", "pid"), [
    (".dvcdoit-123-abc.tmp", 123),
    (".dvcdoit-4194304-0123456789abcdef.tmp", 4194304),
    (".dvcdoit-123-abc", None),            # no suffix
    ("dvcdoit-123-abc.tmp", None),          # no leading dot
    (".dvcdoit-0-abc.tmp", None),           # pid 0 is no process
    (".dvcdoit-012-abc.tmp", None),         # leading zero: not a name we make
    (".dvcdoit--abc.tmp", None),
    (".dvcdoit-12-.tmp", None),             # empty tag
    (".dvcdoit-12-ABC.tmp", None),          # upper case: not ours
    (".dvcdoit-12-a/b.tmp", None),
    (".7fc2cf3f1ac0-28658-4908.tmp", None),  # the old, unrecognisable scheme
    (".0123456789abcdef0123456789abcdef.tmp", None),
    ("data.csv", None),
])
def test_owner_pid(name: str, pid: int | None) -> None:
    assert tempname.owner_pid(name) == pid
    assert tempname.is_ours(name) is (pid is not None)


def test_is_stale_by_pid(tmp_path: Path, live_pid: int) -> None:
    mine = tmp_path / tempname.name()
    dead = tmp_path / f".dvcdoit-{dead_pid()}-a.tmp"
    live = tmp_path / f".dvcdoit-{live_pid}-a.tmp"
    user = tmp_path / ".notes.tmp"
    for p in (mine, dead, live, user):
        p.write_bytes(b"x")
    assert not tempname.is_stale(mine)
    assert tempname.is_stale(dead)
    assert not tempname.is_stale(live)
    assert not tempname.is_stale(user)
    assert not tempname.is_stale(tmp_path / f".dvcdoit-{live_pid}-gone.tmp")  # vanished


def test_a_reused_pid_does_not_keep_an_older_temp_alive(live_pid: int, tmp_path: Path) -> None:
    """The pid is alive but started after the file was made: that process did not make it."""
    p = tmp_path / f".dvcdoit-{live_pid}-a.tmp"
    p.write_bytes(b"x")
    assert tempname.is_stale(p, ctime=time.time() - 3600)
    assert not tempname.is_stale(p, ctime=time.time())


@pytest.mark.skipif(os.geteuid() != 0, reason="needs a pid owned by another user: run as root")
def test_pid_of_another_user_counts_as_alive_when_we_may_not_signal_it() -> None:
    """Run as uid 65534, pid 1 (root's init) answers EPERM: alive, the temp is kept."""
    import shutil
    import tempfile

    where = Path(tempfile.mkdtemp(dir="/tmp"))  # NOTE: pytest's tmp dirs are 0700, root's
    try:
        os.chmod(where, 0o777)
        p = where / ".dvcdoit-1-a.tmp"
        p.write_bytes(b"x")
        code = ("import os, sys; from dvcdoit.core import tempname; "
                f"d = {str(where)!r}; assert '.dvcdoit-1-a.tmp' in os.listdir(d); "
                "sys.exit(0 if tempname.sweep(d) == 0 else 1)")
        proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                               sys.executable, "-c", code],
                              env={**os.environ, "PYTHONPATH": os.getcwd()},
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0 and "Traceback" not in proc.stderr:
            pytest.skip(f"setpriv unusable here: {proc.stderr.strip()}")
        assert proc.returncode == 0, proc.stderr
        assert p.exists()
    finally:
        shutil.rmtree(where)


def test_sweep_removes_only_stale_temps_of_ours(tmp_path: Path, live_pid: int) -> None:
    stale = [tmp_path / f".dvcdoit-{dead_pid()}-{k}.tmp" for k in range(3)]
    kept = [tmp_path / f".dvcdoit-{live_pid}-a.tmp", tmp_path / tempname.name(),
            tmp_path / ".7fc2cf3f1ac0-28658-4908.tmp", tmp_path / "data.csv"]
    for p in stale + kept:
        p.write_bytes(b"x")
    os.chmod(stale[0], 0o444)  # NOTE: read-only temps (cache objects in the making) go too
    assert tempname.sweep(tmp_path) == 3
    assert sorted(tmp_path.iterdir()) == sorted(kept)
    assert tempname.sweep(tmp_path / "missing") == 0


def test_sweep_with_names_listed_by_the_caller(tmp_path: Path) -> None:
    p = tmp_path / f".dvcdoit-{dead_pid()}-a.tmp"
    p.write_bytes(b"x")
    assert tempname.sweep(tmp_path, ["data.csv"]) == 0  # NOTE: only the names given
    assert p.exists()
    assert tempname.sweep(tmp_path, [p.name]) == 1
    assert not p.exists()


def test_atomic_write_uses_the_scheme_and_sweeps_its_directory(tmp_path: Path) -> None:
    stale = tmp_path / f".dvcdoit-{dead_pid()}-a.tmp"
    stale.write_bytes(b"half a dvc.lock")
    fsutil.atomic_write(tmp_path / "dvc.lock", b"schema: '2.0'\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dvc.lock"]
    assert tempname.is_ours(os.path.basename(fsutil.tmp_name(tmp_path / "x")))


def test_atomic_write_removes_its_temp_when_the_write_fails(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        fsutil.atomic_write(tmp_path / "f", "not bytes")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []
