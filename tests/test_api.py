"""dvcdoit.api against dvc.api: open/read/get_url, in the workspace, at a git revision, from
the remote (verified), and one-line errors (issue 11.4)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from dvcdoit import api
from dvcdoit.core.errors import DvcDoitError, PathError, RemoteError
from tests.conftest import Runner, write_tree

GIT = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
PIPELINE = """\
stages:
  count:
    cmd: wc -l < data/rows.csv > count.txt
    deps:
    - data/rows.csv
    outs:
    - count.txt
"""


def _commit(root: Path, message: str) -> None:
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    subprocess.run([*GIT, "-C", str(root), "commit", "-qm", message], check=True)


@pytest.fixture
def repo(git_repo: Path, dvcdoit: Runner, tmp_path: Path) -> Path:
    write_tree(git_repo, {"data/rows.csv": "a\nb\n", "data/sub/x.bin": b"\x00\x01",
                          "notes.txt": "v1 notes\n", "dvc.yaml": PIPELINE})
    dvcdoit("init")
    dvcdoit("add", "data", "notes.txt")
    dvcdoit("repro")
    dvcdoit("remote", "add", "-d", "store", str(tmp_path / "store"))
    dvcdoit("push")
    _commit(git_repo, "v1")
    subprocess.run(["git", "-C", str(git_repo), "tag", "v1"], check=True)
    return git_repo


def test_read_in_the_workspace_inside_a_directory_and_a_stage_output(repo: Path) -> None:
    assert api.read("notes.txt") == "v1 notes\n"
    assert api.read("data/rows.csv") == "a\nb\n"
    assert api.read("data/sub/x.bin", mode="rb") == b"\x00\x01"
    assert api.read("count.txt").strip() == "2"
    with api.open("data/rows.csv") as f:
        assert f.readline() == "a\n"
    assert api.read("notes.txt", repo=str(repo)) == "v1 notes\n"


def test_rev_reads_the_committed_version(repo: Path, dvcdoit: Runner) -> None:
    (repo / "notes.txt").write_text("v2 notes\n")
    dvcdoit("add", "notes.txt")
    _commit(repo, "v2")
    assert api.read("notes.txt") == "v2 notes\n"
    assert api.read("notes.txt", rev="v1") == "v1 notes\n"
    assert api.read("count.txt", rev="v1").strip() == "2"  # NOTE: from dvc.lock at v1
    assert api.read("data/rows.csv", rev="HEAD~1") == "a\nb\n"


def test_missing_objects_come_from_the_remote_verified(repo: Path, tmp_path: Path) -> None:
    cache = repo / ".dvc" / "cache"
    subprocess.run(["chmod", "-R", "u+w", str(cache)], check=True)
    shutil.rmtree(cache)
    assert api.read("data/sub/x.bin", mode="rb") == b"\x00\x01"  # the .dir, then the file
    assert api.read("notes.txt") == "v1 notes\n"
    shutil.rmtree(cache)
    url = api.get_url("notes.txt")
    os.chmod(url, 0o644)
    Path(url).write_text("tampered\n")
    with pytest.raises(RemoteError, match=r"^cannot read 'notes.txt': .*corrupt on remote"):
        api.read("notes.txt")


def test_bad_input_is_one_line(repo: Path) -> None:
    cases = [
        (lambda: api.read("untracked.txt"),
         f"'untracked.txt' is not tracked by DVC in {repo}"),
        (lambda: api.read("notes.txt", rev="no-such-tag"),
         "unknown Git revision 'no-such-tag'"),
        (lambda: api.read("notes.txt", repo="file:///no/such.git"),
         ("dvcdoit.api cannot read from 'file:///no/such.git': cannot clone it with git: "
          "fatal: (%s)")),
        (lambda: api.read("notes.txt", repo=str(repo / "nope")),
         f"repo '{repo / 'nope'}': no such directory, and not a git URL"),
        (lambda: api.read("data"), "'data' is a directory; open a file inside it"),
        (lambda: api.read("data/nope.csv"),
         "'data/nope.csv' is not in the directory 'data' (%s)"),
    ]
    for call, message in cases:
        with pytest.raises(PathError) as err:
            call()
        if "%s" in message:
            assert str(err.value).startswith(message.split("(")[0]), err.value
        else:
            assert str(err.value) == message
    with pytest.raises(ValueError, match="only reading"):
        api.read("notes.txt", mode="w")


@pytest.mark.interop
def test_the_same_answers_as_dvc_api(repo: Path) -> None:
    exe = os.environ.get("DVCDOIT_DVC_BIN")
    if not exe:
        pytest.skip("real dvc 3.67.1 not installed (set DVCDOIT_DVC_BIN)")
    python = str(Path(exe).with_name("python"))
    for path, rev in (("notes.txt", None), ("data/rows.csv", "v1"), ("data/sub/x.bin", None),
                      ("count.txt", None)):
        script = (f"import dvc.api; print(dvc.api.get_url({path!r}, rev={rev!r}));"
                  f"print(repr(dvc.api.read({path!r}, rev={rev!r}, mode='rb')))")
        out = subprocess.run([python, "-c", script], capture_output=True, text=True,
                             check=True).stdout.splitlines()
        assert api.get_url(path, rev=rev) == out[0], path
        assert repr(api.read(path, rev=rev, mode="rb")) == out[1], path


RESULTS = """\
stages:
  s:
    cmd: echo hi
    params:
    - x.y
    - config.yaml:
      - a
metrics:
- eval/m.json
- other.yaml
"""
SHOW_CALLS = (
    ("params_show", (), {}), ("params_show", (), {"deps": True}),
    ("params_show", (), {"stages": "s"}), ("params_show", ("config.yaml",), {}),
    ("params_show", (), {"rev": "HEAD"}), ("params_show", ("config.yaml", "params.yaml"), {}),
    ("params_show", (), {"stages": ["s"], "deps": True}), ("metrics_show", (), {}),
    ("metrics_show", ("eval/m.json",), {}), ("metrics_show", (), {"rev": "HEAD"}),
)


@pytest.mark.interop
def test_params_show_and_metrics_show_as_dvc_api(git_repo: Path, dvc: Runner) -> None:
    """Both merge every file's top-level keys into one dict (``file:key`` for a key two
    files hold), in the same order; params by DVC's rules (default file whole, others by
    the keys stages name)."""
    dvc("init", "-q")
    write_tree(git_repo, {"config.yaml": "a: 1\nb: 2\n", "params.yaml": "lr: 0.1\nx:\n  y: 1\n",
                          "dvc.yaml": RESULTS, "eval/m.json": '{"acc": 0.9, "n": {"a": 1}}',
                          "other.yaml": "acc: 0.5\n"})
    _commit(git_repo, "one")
    write_tree(git_repo, {"config.yaml": "a: 1\nb: 3\n", "params.yaml": "lr: 0.2\nx:\n  y: 1\n"})
    exe = os.environ["DVCDOIT_DVC_BIN"]
    script = ("import json, dvc.api\n"
              f"for name, args, kw in {SHOW_CALLS!r}:\n"
              "    print(json.dumps(getattr(dvc.api, name)(*args, **kw)))\n")
    want = subprocess.run([str(Path(exe).with_name("python")), "-c", script],
                          capture_output=True, text=True, check=True).stdout.splitlines()
    got = [json.dumps(getattr(api, name)(*args, **kw)) for name, args, kw in SHOW_CALLS]
    assert got == want
    assert json.loads(got[7]) == {"eval/m.json:acc": 0.9, "n": {"a": 1}, "other.yaml:acc": 0.5}


def test_results_api_bad_input_is_one_line(repo: Path) -> None:
    with pytest.raises(PathError, match=r"^metrics file 'nope.json': \[Errno 2\]"):
        api.metrics_show("nope.json")
    with pytest.raises(PathError, match=r"'nope\.yaml' does not exist in the workspace"):
        api.params_show("nope.yaml")
    with pytest.raises(DvcDoitError, match="config= is not supported"):
        api.params_show(config={"core": {}})
