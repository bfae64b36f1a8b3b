"""``dvcdoit ls`` prints what real DVC 3.67.1's ``dvc ls`` prints, text and JSON (issue 11.3)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Runner, write_tree

pytestmark = pytest.mark.interop
GIT = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]


def _commit(root: Path, message: str) -> None:
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    subprocess.run([*GIT, "-C", str(root), "commit", "-qm", message], check=True)


@pytest.fixture(scope="module")
def reg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DVC repo: git files, an exec file, a tracked file and directory, tagged v1, then a
    changed file and a new one; its cache holds every .dir."""
    from tests.conftest import DVC_ENV, _find_dvc

    exe = _find_dvc()
    if exe is None or not Path(exe).exists():
        pytest.skip("real dvc 3.67.1 not installed (set DVCDOIT_DVC_BIN)")
    env = {**os.environ, **DVC_ENV}
    base = tmp_path_factory.mktemp("ls")
    root = base / "reg"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)

    def dvc(*args: str) -> None:
        subprocess.run([exe, *args], cwd=root, env=env, check=True, capture_output=True)

    dvc("init", "-q")
    write_tree(root, {"data/data.xml": "x\n", "data/imgs/a.png": "a\n",
                      "data/imgs/sub/b.png": "b\n", "src/train.py": "code\n",
                      "README.md": "readme\n"})
    (root / "src/train.py").chmod(0o755)
    dvc("add", "-q", "data/data.xml", "data/imgs")
    _commit(root, "v1")
    subprocess.run(["git", "-C", str(root), "tag", "v1"], check=True)
    (root / "data/data.xml").write_text("y\n")
    (root / "data/new.csv").write_text("big\n")
    dvc("add", "-q", "data/data.xml", "data/new.csv")
    _commit(root, "v2")
    (root / "untracked.txt").write_text("ws\n")  # NOTE: the workspace is listed, not HEAD
    return base


CASES = [
    [], ["data"], ["-R"], ["--dvc-only"], ["-R", "--dvc-only"], ["data/imgs"],
    ["data/imgs/sub"], ["data/imgs/sub/b.png"], ["data/data.xml"], ["--json"],
    ["data", "--json"], ["-R", "--json"], ["--rev", "v1", "--json"],
    ["--rev", "v1", "-R", "--json"], ["data", "--rev", "v1", "--json"],
    ["data/imgs", "--rev", "v1", "--json"], ["data/imgs", "-R", "--dvc-only", "--json"],
    ["--dvc-only", "--json"], ["data", "--dvc-only", "--json"],
    ["data", "-R", "--dvc-only", "--json"], ["data", "--dvc-only", "--json", "--rev", "v1"],
    ["nope"], ["nope", "--rev", "v1"], ["--rev", "nope"],
]


@pytest.mark.parametrize("args", CASES, ids=" ".join)
def test_ls_prints_what_dvc_prints(reg: Path, dvc: Runner, dvcdoit: Runner,
                                   args: list[str]) -> None:
    theirs = dvc("ls", "reg", *args, cwd=reg, check=False)
    ours = dvcdoit("ls", "reg", *args, cwd=reg, check=False)
    assert ours.stdout == theirs.stdout
    assert ours.stderr == theirs.stderr
    assert (ours.returncode == 0) == (theirs.returncode == 0)


@pytest.mark.parametrize("args", [["--json"], ["data", "--json"], ["src", "-R"], ["data", "-R"]],
                         ids=" ".join)
def test_ls_of_a_git_url_clones_it(reg: Path, dvc: Runner, dvcdoit: Runner,
                                   args: list[str]) -> None:
    url = (reg / "reg").as_uri()
    theirs = dvc("ls", url, *args, cwd=reg, check=False)
    ours = dvcdoit("ls", url, *args, cwd=reg, check=False)
    assert ours.stdout == theirs.stdout
    if args == ["data", "-R"]:
        # NOTE: the clone has no cache and the repo no remote: DVC fails with a traceback
        # word ("unexpected error"), dvcdoit in one line
        assert theirs.returncode != 0
        assert ours.returncode == 3
        oid = (reg / "reg/data/imgs.dvc").read_text().split("md5: ")[1].split()[0]
        assert ours.stderr == (
            f"ERROR: failed to list '{url}' - failed to load directory 'data/imgs': its "
            f"manifest {oid} is neither in that repo's cache nor on its default remote\n")


def test_ls_of_a_git_url_at_a_branch_and_a_tag(reg: Path, dvc: Runner, dvcdoit: Runner) -> None:
    root = reg / "reg"
    subprocess.run(["git", "-C", str(root), "branch", "-f", "old", "v1"], check=True)
    for rev in ("old", "v1"):
        args = ("ls", root.as_uri(), "--rev", rev, "--json")
        assert dvcdoit(*args, cwd=reg).stdout == dvc(*args, cwd=reg).stdout


def test_ls_of_a_git_url_reads_manifests_from_the_default_remote(
        reg: Path, tmp_path: Path, dvc: Runner, dvcdoit: Runner) -> None:
    src = tmp_path / "withremote"
    subprocess.run(["git", "clone", "-q", str(reg / "reg"), str(src)], check=True)
    store = tmp_path / "store"
    dvc("remote", "add", "-d", "r", str(store), cwd=src)
    _commit(src, "remote")
    subprocess.run(["cp", "-r", str(reg / "reg/.dvc/cache"), str(src / ".dvc/cache")],
                   check=True)
    dvc("push", "-q", cwd=src)
    ours = dvcdoit("ls", src.as_uri(), "data", "-R", "--json", cwd=tmp_path)
    theirs = dvc("ls", src.as_uri(), "data", "-R", "--json", cwd=tmp_path)
    assert ours.stdout == theirs.stdout


def test_ls_errors_are_one_line(tmp_path: Path, dvcdoit: Runner) -> None:
    proc = dvcdoit("ls", "nothere", cwd=tmp_path, check=False)
    assert (proc.returncode, proc.stderr) == (
        3, "ERROR: failed to list 'nothere' - no git repository was found at nothere\n")
    proc = dvcdoit("ls", "https://u:secret@127.0.0.1:9/x.git", cwd=tmp_path, check=False)
    assert proc.returncode == 3
    assert "secret" not in proc.stderr
    assert proc.stderr.startswith("ERROR: failed to list 'https://127.0.0.1:9/x.git' - cannot "
                                  "clone it with git: ")
    assert len(proc.stderr.splitlines()) == 1
