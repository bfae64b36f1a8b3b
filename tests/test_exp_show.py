"""``dvcdoit exp show`` against real ``dvc exp show`` (3.67.1) on the same repo, with
experiments made by real DVC: the table, ``--json``, ``--csv``, ``--md`` and the sorting and
column flags, byte for byte (both print the commit times in local time)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DVC_ENV, _find_dvc, write_tree
from tests.exppipeline import DVC_YAML, EVALUATE, FEATURIZE, PARAMS, PREPARE, TRAIN, git

pytestmark = pytest.mark.interop


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False,
                          env={**os.environ, **DVC_ENV})


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tutorial pipeline, committed, with two experiments run by real DVC."""
    exe = _find_dvc()
    if exe is None:
        pytest.skip("real dvc 3.67.1 not installed (set DVCDOIT_DVC_BIN)")
    root = tmp_path_factory.mktemp("expshow") / "repo"
    root.mkdir()
    write_tree(root, {"params.yaml": PARAMS, "dvc.yaml": DVC_YAML,
                      "data/data.txt": "hello world foo bar\n", "src/prepare.py": PREPARE,
                      "src/featurize.py": FEATURIZE, "src/train.py": TRAIN,
                      "src/evaluate.py": EVALUATE})
    for cmd in (["git", "init", "-q", "-b", "master"], [exe, "init", "-q"], [exe, "repro", "-q"],
                ["git", "add", "-A"], ["git", "commit", "-qm", "baseline"],
                [exe, "exp", "run", "-q", "-S", "train.n_est=60", "-n", "e60"],
                ["git", "checkout", "-q", "--", "."],
                [exe, "exp", "run", "-q", "-S", "featurize.ngrams=2", "-n", "ng2"],
                ["git", "checkout", "-q", "--", "."]):
        proc = _run(cmd, root)
        assert proc.returncode == 0, (cmd, proc.stdout, proc.stderr)
    assert git(root, "for-each-ref", "--format=%(refname)", "refs/exps/").count("\n") >= 1
    return root


@pytest.mark.parametrize("flags", [
    (), ("--json",), ("--csv",), ("--md",), ("--only-changed",), ("--md", "--only-changed"),
    ("--sort-by", "avg_prec", "--sort-order", "desc"),
    ("--drop", "train.*", "--keep", "train.n_est"),
    ("--sha",), ("--hide-workspace",), ("--precision", "2"), ("--csv", "--precision", "2"),
])
def test_output_is_dvcs(repo: Path, tmp_path: Path, flags: tuple[str, ...]) -> None:
    exe = _find_dvc()
    assert exe is not None
    mine = _run([sys.executable, "-m", "dvcdoit", "exp", "show", *flags], repo)
    ref = _run([exe, "exp", "show", *flags], repo)
    assert (mine.returncode, mine.stdout, mine.stderr) == (0, ref.stdout, ref.stderr)
    assert "e60" in mine.stdout


def test_unknown_sort_key_is_dvcs_error(repo: Path) -> None:
    exe = _find_dvc()
    assert exe is not None
    mine = _run([sys.executable, "-m", "dvcdoit", "exp", "show", "--sort-by", "nope"], repo)
    ref = _run([exe, "exp", "show", "--sort-by", "nope"], repo)
    assert mine.stderr == ref.stderr and mine.stderr.startswith("ERROR: ")
    assert (mine.returncode, ref.returncode) == (3, 255)  # NOTE: dvcdoit's user-error code


def test_a_copy_shows_the_same(repo: Path, tmp_path: Path) -> None:
    shutil.copytree(repo, tmp_path / "copy", symlinks=True)
    a = _run([sys.executable, "-m", "dvcdoit", "exp", "show", "--json"], repo).stdout
    b = _run([sys.executable, "-m", "dvcdoit", "exp", "show", "--json"], tmp_path / "copy").stdout
    assert a == b.replace(str(tmp_path / "copy"), str(repo))
