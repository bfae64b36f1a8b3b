"""``plots diff [REVS]`` and ``plots show`` targets (issue 12.4): the ``--json`` and the
stderr of real DVC 3.67.1, byte for byte, over a two-commit history."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import Runner, write_tree
from tests.test_plots import ACC_AND_LOSS

PIPELINE = ACC_AND_LOSS + "- logo.png\n"
ONE = {"dvc.yaml": PIPELINE,
       "acc.json": '[{"step": 0, "acc": 0.1}, {"step": 1, "acc": 0.5}]\n',
       "loss.csv": "step,loss\n0,1.0\n1,0.4\n",
       "logo.png": b"\x89PNG one"}


def _commit(message: str, seconds: int) -> None:
    env = {**os.environ, "GIT_COMMITTER_DATE": f"@{seconds} +0000",
           "GIT_AUTHOR_DATE": f"@{seconds} +0000"}
    subprocess.run(["git", "add", "-A"], check=True)
    subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm",
                    message], check=True, env=env)


@pytest.fixture
def repo(git_repo: Path, dvc: Runner) -> Path:
    """Commit one has every plot; commit two changes acc.json and the image, drops loss.csv."""
    dvc("init", "-q")
    write_tree(git_repo, ONE)
    now = int(time.time())
    _commit("one", now - 120)
    write_tree(git_repo, {"acc.json": '[{"step": 0, "acc": 0.2}, {"step": 1, "acc": 0.6}]\n',
                          "logo.png": b"\x89PNG two"})
    (git_repo / "loss.csv").unlink()
    _commit("two", now - 60)
    return git_repo


def _same(repo: Path, dvc: Runner, dvcdoit: Runner, *args: str) -> dict[str, object]:
    shutil.rmtree(repo / "dvc_plots", ignore_errors=True)
    want = dvc("plots", *args, check=False)
    pictures = sorted(p.name for p in (repo / "dvc_plots").iterdir()) \
        if (repo / "dvc_plots").exists() else []
    shutil.rmtree(repo / "dvc_plots", ignore_errors=True)
    got = dvcdoit("plots", *args, check=False)
    assert (got.returncode, got.stderr) == (want.returncode, want.stderr)
    assert json.loads(got.stdout) == json.loads(want.stdout)
    assert got.stdout == want.stdout
    if pictures:  # NOTE: --json writes each revision's image where its url points
        assert sorted(p.name for p in (repo / "dvc_plots").iterdir()) == pictures
    return dict(json.loads(got.stdout))


@pytest.mark.parametrize("args", [("HEAD~1",), ("HEAD~1", "HEAD"), ("HEAD", "HEAD~1"), (),
                                  ("HEAD~1", "--targets", "acc.json"),
                                  ("HEAD~1", "--targets", "logo.png")],
                         ids=lambda a: " ".join(a) or "workspace")
def test_diff_json_is_dvcs(repo: Path, dvc: Runner, dvcdoit: Runner,
                           args: tuple[str, ...]) -> None:
    got = _same(repo, dvc, dvcdoit, "diff", "--json", *args)
    assert got["data"]


def test_diff_of_a_dirty_workspace_adds_head(repo: Path, dvc: Runner, dvcdoit: Runner) -> None:
    (repo / "acc.json").write_text('[{"step": 0, "acc": 0.9}, {"step": 1, "acc": 0.95}]\n')
    got = _same(repo, dvc, dvcdoit, "diff", "--json")
    assert got["data"]["acc.json"][0]["revisions"] == ["workspace", "HEAD"]  # type: ignore[index]


def test_workspace_props_apply_to_every_revision(repo: Path, dvc: Runner,
                                                 dvcdoit: Runner) -> None:
    """DVC squashes a plot's properties over the revisions, the workspace's first: a y
    field the old revision lacks fails there too."""
    (repo / "dvc.yaml").write_text(PIPELINE.replace("y: acc", "y: zz"))
    got = _same(repo, dvc, dvcdoit, "diff", "--json", "HEAD~1")
    assert [e["type"] for e in got["errors"]].count("FieldNotFoundError") == 2  # type: ignore[attr-defined]


@pytest.mark.parametrize("args", [("acc.json",), ("loss.csv", "nonexist.csv"),
                                  ("nonexist.csv",), ("logo.png", "a")],
                         ids=lambda a: " ".join(a))
def test_show_targets_are_dvcs(repo: Path, dvc: Runner, dvcdoit: Runner,
                               args: tuple[str, ...]) -> None:
    """A target names definitions (a regex at the start of their id) and, if it exists, the
    file itself: ``acc.json`` is both ``dvc.yaml::acc.json`` and ``acc.json``."""
    _same(repo, dvc, dvcdoit, "show", "--json", *args)


def test_diff_page_shows_both_revisions(repo: Path, dvcdoit: Runner) -> None:
    out = dvcdoit("plots", "diff", "HEAD~1", "-o", "page").stdout
    assert out == f"file://{repo / 'page/index.html'}\n"
    text = (repo / "page/index.html").read_text()
    assert '<img src="static/workspace_logo.png">' in text
    assert '<img src="static/HEAD~1_logo.png">' in text
    assert (repo / "page/static/HEAD~1_logo.png").read_bytes() == ONE["logo.png"]
    assert '"domain": ["workspace", "HEAD~1"]' in text
    assert text.count('"rev": "HEAD~1"') == 2 + 2  # NOTE: acc.json's and loss.csv's points


@pytest.mark.parametrize("verb", [("plots", "diff"), ("metrics", "diff"), ("params", "diff")])
def test_an_unknown_rev_is_dvcs_line(repo: Path, dvc: Runner, dvcdoit: Runner,
                                     verb: tuple[str, str]) -> None:
    want = dvc(*verb, "nosuch", check=False)
    got = dvcdoit(*verb, "nosuch", check=False)
    assert got.stderr == want.stderr == "ERROR: unknown Git revision 'nosuch'\n"
    assert got.returncode == 3 and want.returncode != 0


DVCLIVE = """\
metrics:
- dvclive/metrics.json
plots:
- dvclive/plots/metrics:
    x: step
- dvclive/plots/images
stages:
  train:
    cmd: python -c "import json;json.dump([{'e':0,'v':1},{'e':1,'v':2}],open('hist.json','w'))"
    plots:
    - hist.json:
        x: e
        cache: false
"""


def test_dvclive_layout_and_stage_plots_are_dvcs(git_repo: Path, dvc: Runner,
                                                 dvcdoit: Runner) -> None:
    """dvclive's directories (one plot per file, images too) and a stage's plot output, in
    the workspace and against HEAD."""
    dvc("init", "-q")
    write_tree(git_repo, {"dvc.yaml": DVCLIVE,
                          "dvclive/plots/metrics/acc.tsv": "step\tacc\n0\t0.1\n1\t0.3\n",
                          "dvclive/plots/metrics/loss.tsv": "step\tloss\n0\t1\n1\t0.5\n",
                          "dvclive/plots/images/cm.png": b"\x89PNG cm"})
    dvc("repro", "-q")
    got = _same(git_repo, dvc, dvcdoit, "show", "--json")
    assert set(got["data"]) == {"dvclive/plots/metrics/acc.tsv",  # type: ignore[arg-type]
                                "dvclive/plots/metrics/loss.tsv",
                                "dvclive/plots/images/cm.png", "hist.json"}
    _commit("one", int(time.time()) - 60)
    (git_repo / "dvclive/plots/metrics/acc.tsv").write_text("step\tacc\n0\t0.2\n1\t0.4\n")
    for args in (("diff", "--json"), ("diff", "HEAD", "--json"), ("show", "--json", "dvclive")):
        _same(git_repo, dvc, dvcdoit, *args)
