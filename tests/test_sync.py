"""Remote verbs across the whole repo: run-cache sharing, doit tasks, failures reported."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dvcdoit.repo.project import Project
from dvcdoit.storage.transfer import upload_jobs
from dvcdoit.verbs.cloud import open_named
from tests.conftest import Runner, write_tree

DVC_YAML = """stages:
  double:
    cmd: python -c "import pathlib; pathlib.Path('out.txt').write_text(pathlib.Path('in.txt').read_text() * 2); open('{marker}', 'a').write('ran\\\\n')"
    deps:
    - in.txt
    outs:
    - out.txt
"""


def _repo(root: Path, dvcdoit: Runner, marker: Path, remote: Path) -> Path:
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    dvcdoit("init", cwd=root)
    write_tree(root, {"in.txt": "abc\n", "dvc.yaml": DVC_YAML.format(marker=marker)})
    dvcdoit("remote", "add", "-d", "shared", str(remote), cwd=root)
    return root


def test_run_cache_lets_a_new_machine_restore_without_running(tmp_path: Path,
                                                              dvcdoit: Runner) -> None:
    marker = tmp_path / "ran.log"
    remote = tmp_path / "remote"
    a = _repo(tmp_path / "a", dvcdoit, marker, remote)
    dvcdoit("repro", cwd=a)
    assert marker.read_text() == "ran\n"
    out = dvcdoit("push", "--run-cache", cwd=a).stdout
    assert out.endswith("files pushed\n")
    assert list((remote / "runs").rglob("*"))

    b = _repo(tmp_path / "b", dvcdoit, marker, remote)  # never ran; no dvc.lock, no cache
    fetched = dvcdoit("fetch", "--run-cache", cwd=b).stdout
    assert "fetched" in fetched
    log = dvcdoit("repro", cwd=b).stdout
    assert "Stage 'double' is cached - skipping run, checking out outputs" in log
    assert marker.read_text() == "ran\n"  # the command did not run again
    assert (b / "out.txt").read_text() == "abc\nabc\n"
    assert (b / "dvc.lock").exists()


def test_tampered_run_cache_entry_is_refused(tmp_path: Path, dvcdoit: Runner) -> None:
    marker = tmp_path / "ran.log"
    remote = tmp_path / "remote"
    a = _repo(tmp_path / "a", dvcdoit, marker, remote)
    dvcdoit("repro", cwd=a)
    dvcdoit("push", "--run-cache", cwd=a)
    (entry,) = [p for p in (remote / "runs").rglob("*") if p.is_file()]
    entry.chmod(0o644)
    entry.write_text(entry.read_text().replace("out.txt", "evil.txt"))
    b = _repo(tmp_path / "b", dvcdoit, marker, remote)
    proc = dvcdoit("fetch", "--run-cache", cwd=b, check=False)
    assert proc.returncode == 1
    assert "corrupt run-cache entry on remote" in proc.stderr
    assert not (b / ".dvc/cache/runs").exists() or not list((b / ".dvc/cache/runs").rglob("*"))


def test_doit_tasks_push_pull_with_params(git_repo: Path, dvcdoit: Runner, doit_bin: str,
                                          tmp_path: Path) -> None:
    dvcdoit("init")
    write_tree(git_repo, {"d/a.txt": "a\n", "d/b.txt": "b\n", "f.txt": "f\n",
                          "dodo.py": "from dvcdoit.tasks import *\n"})
    dvcdoit("add", "d", "f.txt")
    dvcdoit("remote", "add", "one", str(tmp_path / "one"))
    dvcdoit("remote", "add", "two", str(tmp_path / "two"))

    def doit(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "doit", *args], capture_output=True,
                              text=True, check=False)

    proc = doit("push", "-r", "two", "-j", "2", "f.txt")
    assert proc.returncode == 0, proc.stderr
    assert "1 file pushed" in proc.stdout
    assert not (tmp_path / "one").exists()
    assert "Cache and remote 'two' are in sync." in doit("status", "-c", "-r", "two", "f.txt").stdout
    assert doit("status", "-r", "two", "--json", "d").stdout.count('"new"') == 3
    assert doit("push", "-r", "two").returncode == 0
    shutil.rmtree(git_repo / ".dvc/cache")
    shutil.rmtree(git_repo / "d")
    proc = doit("pull", "-r", "two")
    assert proc.returncode == 0, proc.stderr
    assert "4 files fetched and 2 files added" in proc.stdout  # NOTE: d's two files, as DVC
    assert (git_repo / "d/b.txt").read_text() == "b\n"
    bare = doit()
    assert ". push" not in bare.stdout and ". pull" not in bare.stdout


def test_pull_reports_missing_objects(git_repo: Path, dvcdoit: Runner, tmp_path: Path) -> None:
    dvcdoit("init")
    write_tree(git_repo, {"x.txt": "x\n"})
    dvcdoit("add", "x.txt")
    dvcdoit("remote", "add", "-d", "r", str(tmp_path / "r"))
    shutil.rmtree(git_repo / ".dvc/cache")
    (git_repo / "x.txt").unlink()
    proc = dvcdoit("pull", check=False)
    assert proc.returncode == 1
    assert "Some of the cache files do not exist neither locally nor on remote" in proc.stderr
    assert "x.txt" in proc.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["push"], ("ERROR: no remote given and no default remote set; run 'dvcdoit remote add -d "
               "NAME URL' or pass -r NAME\n")),
    (["push", "-r", "nope"], ("ERROR: remote 'nope' doesn't exist (configured: none); see "
                             "'dvcdoit remote list'\n")),
])
def test_remote_errors(git_repo: Path, dvcdoit: Runner, args: list[str], message: str) -> None:
    dvcdoit("init")
    write_tree(git_repo, {"x.txt": "x\n"})
    dvcdoit("add", "x.txt")
    proc = dvcdoit(*args, check=False)
    assert (proc.returncode, proc.stderr) == (3, message)


@pytest.mark.interop
def test_status_cloud_agrees_with_dvc(git_repo: Path, dvcdoit: Runner, dvc: Runner,
                                      tmp_path: Path) -> None:
    dvcdoit("init")
    write_tree(git_repo, {"d/a.txt": "a\n", "d/b.txt": "b\n", "f.txt": "f\n", "g.txt": "g\n",
                          "h.txt": "h\n"})
    dvcdoit("add", "d", "f.txt", "g.txt", "h.txt")
    dvcdoit("remote", "add", "-d", "r", str(tmp_path / "r"))
    dvcdoit("push", "f.txt", "h.txt")
    g_md5 = hashlib.md5(b"g\n").hexdigest()
    h_md5 = hashlib.md5(b"h\n").hexdigest()
    for oid in (g_md5, h_md5):  # g: missing everywhere; h: only on the remote (deleted)
        obj = git_repo / f".dvc/cache/files/md5/{oid[:2]}/{oid[2:]}"
        obj.chmod(0o644)
        obj.unlink()
    ours = json.loads(dvcdoit("status", "-c", "--json").stdout)
    theirs = json.loads(dvc("status", "-c", "--json").stdout)
    assert ours == theirs
    assert ours == {"d": "new", "d/a.txt": "new", "d/b.txt": "new", "g.txt": "missing",
                    "h.txt": "deleted"}


def test_remote_modify_jobs_reaches_the_remote(tmp_path: Path, dvcdoit: Runner) -> None:
    """``remote modify NAME jobs N`` sets the remote's default parallelism for push (-j wins)."""
    a = _repo(tmp_path / "a", dvcdoit, tmp_path / "m", tmp_path / "remote")
    assert open_named(Project(a), None)[1].jobs is None
    dvcdoit("remote", "modify", "shared", "jobs", "2", cwd=a)
    name, remote = open_named(Project(a), None)
    assert (name, remote.jobs) == ("shared", 2)
    assert upload_jobs(remote, None) == 2 and upload_jobs(remote, 5) == 5
