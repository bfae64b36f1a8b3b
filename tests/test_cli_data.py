"""The data verbs end to end through ``dvcdoit``, and interop with real DVC 3.67.1."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import Runner, write_tree


@pytest.fixture
def repo(git_repo: Path, dvcdoit: Runner) -> Path:
    dvcdoit("init")
    return git_repo


def test_init_skeleton_matches_dvc(git_repo: Path, dvcdoit: Runner) -> None:
    dvcdoit("init")
    assert (git_repo / ".dvc/config").read_bytes() == b""
    assert (git_repo / ".dvc/.gitignore").read_text() == "/config.local\n/tmp\n/cache\n"
    assert (git_repo / ".dvcignore").read_text().startswith("# Add patterns of files dvc")


def test_add_file_writes_dvc_file_gitignore_and_cache(repo: Path, dvcdoit: Runner) -> None:
    write_tree(repo, {"data/data.xml": b"foo\r\nbar\n"})
    dvcdoit("add", "data/data.xml")
    assert (repo / "data/data.xml.dvc").read_text() == (
        "outs:\n- md5: b18ef82e09889f1c2dbe702732fc4f2a\n  size: 9\n  hash: md5\n  path: data.xml\n")
    assert (repo / "data/.gitignore").read_text() == "/data.xml\n"
    obj = repo / ".dvc/cache/files/md5/b1/8ef82e09889f1c2dbe702732fc4f2a"
    assert obj.read_bytes() == b"foo\r\nbar\n"
    assert oct(obj.stat().st_mode & 0o777) == "0o444"
    assert dvcdoit("status").stdout == "Data and pipelines are up to date.\n"


def test_status_checkout_commit_cycle(repo: Path, dvcdoit: Runner) -> None:
    write_tree(repo, {"d/a.txt": "hello\n", "d/sub/b.txt": "world\n"})
    dvcdoit("add", "d")
    (repo / "d/a.txt").write_text("changed\n")
    assert dvcdoit("status").stdout == "d.dvc:\n\tchanged outs:\n\t\tmodified:           d\n"
    assert json.loads(dvcdoit("status", "--json").stdout) == {
        "d.dvc": [{"changed outs": {"d": "modified"}}]}
    refused = dvcdoit("commit", "d.dvc", check=False)  # NOTE: as DVC, off a terminal
    assert (refused.returncode, refused.stderr) == (3, (
        "ERROR: failed to commit d.dvc - unable to commit changed stage: 'd.dvc'. "
        "Use `-f|--force` to force.\n"))
    dvcdoit("commit", "-f", "d.dvc")
    assert dvcdoit("status").stdout == "Data and pipelines are up to date.\n"
    shutil.rmtree(repo / "d")
    assert "deleted:            d" in dvcdoit("status", "d.dvc").stdout
    out = dvcdoit("checkout").stdout
    assert out == "A       d/\n"  # NOTE: as DVC: the changes, no summary
    shutil.rmtree(repo / "d")
    assert dvcdoit("checkout", "--summary").stdout == "2 files added\n"  # NOTE: files, as DVC
    assert dvcdoit("checkout", "--summary").stdout == "No changes.\n"
    assert (repo / "d/a.txt").read_text() == "changed\n"


def test_runs_from_a_subdirectory(repo: Path, dvcdoit: Runner) -> None:
    write_tree(repo, {"sub/x.txt": "x\n"})
    dvcdoit("add", "x.txt", cwd=repo / "sub")
    assert (repo / "sub/x.txt.dvc").exists()
    assert dvcdoit("status", cwd=repo / "sub").stdout == "Data and pipelines are up to date.\n"


NEITHER = ("ERROR: 'nothing-here' does not exist as an output or a stage name in 'dvc.yaml': "
           "Stage 'nothing-here' not found inside 'dvc.yaml' file\n")


@pytest.mark.parametrize(("setup", "args", "message"), [
    ({}, ["add", "../outside.txt"],
     "ERROR: '../outside.txt' is outside of the repo '{root}'; only paths inside it can be used\n"),
    ({}, ["add", ".dvc/config"],
     "ERROR: '.dvc/config' is inside '.dvc/', which dvcdoit manages itself; pick another path\n"),
    ({}, ["add", "nope.txt"], "ERROR: 'nope.txt' does not exist\n"),
    ({"bad.dvc": "outs:\n- md5: 12\n  size: x\n  path: bad\n"}, ["status"],
     ("ERROR: bad.dvc: outs[0].md5: '12' is not an md5 hash (32 hex digits, optionally followed "
     "by '.dir'); bad.dvc: outs[0].size: expected an integer, got 'x'\n")),
    ({"m.dvc": "outs: [\n"}, ["status"], "ERROR: m.dvc:2: invalid YAML: {problem}\n"),
    ({}, ["status", "nothing-here"],
     NEITHER),
    ({}, ["commit", "nothing-here"],
     NEITHER),
    ({"u.txt": "u"}, ["commit", "u.txt"],
     "ERROR: 'u.txt' is not tracked by any .dvc file; use 'dvcdoit add u.txt' first\n"),
    ({}, ["checkout", "nothing-here"],
     NEITHER),
    ({}, ["push", "nothing-here"],
     NEITHER),
    ({}, ["repro", "nothing-here"], "ERROR: Stage 'nothing-here' not found inside 'dvc.yaml' file\n"),
])
def test_error_messages(repo: Path, dvcdoit: Runner, setup: dict[str, str], args: list[str],
                        message: str) -> None:
    write_tree(repo, setup)
    proc = dvcdoit(*args, check=False)
    assert proc.returncode == 3
    if "{problem}" in message:
        assert proc.stderr.startswith(message.split("{problem}")[0])
        assert proc.stderr.count("\n") == 1
    else:
        assert proc.stderr == message.format(root=repo)


def test_outside_any_repo(tmp_path: Path, dvcdoit: Runner) -> None:
    proc = dvcdoit("status", check=False, cwd=tmp_path)
    assert proc.returncode == 3
    assert proc.stderr.startswith("ERROR: you are not inside of a DVC repository")
    assert "Traceback" not in proc.stderr


def test_lock_is_respected(repo: Path, dvcdoit: Runner) -> None:
    import fcntl
    import os

    (repo / ".dvc/tmp").mkdir(exist_ok=True)
    fd = os.open(repo / ".dvc/tmp/lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        write_tree(repo, {"x.txt": "x"})
        proc = dvcdoit("add", "x.txt", check=False)
    finally:
        os.close(fd)
    assert proc.returncode == 3
    assert "'.dvc/tmp/lock' is held by another dvc or dvcdoit process" in proc.stderr
    assert not (repo / "x.txt.dvc").exists()


@pytest.mark.interop
def test_dvc_reads_what_dvcdoit_adds(repo: Path, dvcdoit: Runner, dvc: Runner) -> None:
    write_tree(repo, {"data/a.txt": "hello\n", "data/sub/b.txt": "world\n", "f.csv": "1,2\r\n",
                      "data/café b.txt": "x\n"})
    dvcdoit("add", "data", "f.csv")
    assert "Data and pipelines are up to date." in dvc("status").stdout
    shutil.rmtree(repo / "data")
    (repo / "f.csv").unlink()
    dvc("checkout")
    assert (repo / "data/sub/b.txt").read_text() == "world\n"
    assert (repo / "f.csv").read_bytes() == b"1,2\r\n"


@pytest.mark.interop
def test_dvcdoit_reads_what_dvc_adds(git_repo: Path, dvcdoit: Runner, dvc: Runner) -> None:
    dvc("init")
    write_tree(git_repo, {"data/a.txt": "hello\n", "data/sub/b.txt": "world\n", "f.bin": b"\x00\x01"})
    dvc("add", "data")
    dvc("add", "f.bin")
    before = (git_repo / "data.dvc").read_bytes()
    assert dvcdoit("status").stdout == "Data and pipelines are up to date.\n"
    shutil.rmtree(git_repo / "data")
    (git_repo / "f.bin").unlink()
    dvcdoit("checkout")
    assert (git_repo / "data/a.txt").read_text() == "hello\n"
    assert (git_repo / "f.bin").read_bytes() == b"\x00\x01"
    dvcdoit("add", "data")
    assert (git_repo / "data.dvc").read_bytes() == before


def test_add_refuses_a_stage_output(repo: Path, dvcdoit: Runner) -> None:
    write_tree(repo, {"dvc.yaml": "stages:\n  make:\n    cmd: echo x > out.txt\n    outs:\n    - out.txt\n",
                      "out.txt": "x\n"})
    proc = dvcdoit("add", "out.txt", check=False)
    assert (proc.returncode, proc.stderr) == (
        3, "ERROR: 'out.txt' is an output of stage 'make'; it is tracked by that stage already\n")
    assert not (repo / "out.txt.dvc").exists()


def test_add_dir_with_broken_symlink(repo: Path, dvcdoit: Runner) -> None:
    write_tree(repo, {"d/a.txt": "a"})
    (repo / "d/dangling").symlink_to(repo / "nowhere")
    proc = dvcdoit("add", "d", check=False)
    assert proc.returncode == 3
    assert proc.stderr.startswith("ERROR: ") and "d/dangling" in proc.stderr
    assert "broken symlink" in proc.stderr
    assert proc.stderr.count("\n") == 1
    assert not (repo / "d.dvc").exists()


def test_status_of_a_stage_output_shows_its_stage(repo: Path, dvcdoit: Runner,
                                                  dvc: Runner) -> None:
    write_tree(repo, {"in.txt": "x\n"})
    dvcdoit("add", "in.txt")
    dvcdoit("run", "-n", "copy", "-d", "in.txt", "-o", "out.txt", "cp in.txt out.txt")
    (repo / "out.txt").unlink()
    ours = dvcdoit("status", "out.txt").stdout
    assert ours == "copy:\n\tchanged outs:\n\t\tdeleted:            out.txt\n"
    assert ours == dvc("status", "out.txt").stdout
    assert dvcdoit("status", "in.txt").stdout == "Data and pipelines are up to date.\n"
