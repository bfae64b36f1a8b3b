"""Interop: ``metrics show`` of dvcdoit and real DVC 3.67.1 on the same 4-stage repo."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import Runner, write_tree

EVAL = ("import json,os;os.makedirs('eval',exist_ok=True);json.dump({'avg_prec':{'train':"
        "0.912345678,'test':0.8},'roc_auc':1,'lst':[1,{'a':2}],'s':'x','b':True},"
        "open('eval/metrics.json','w'))")
DVC_YAML = f"""stages:
  prepare:
    cmd: python -c "open('prepared.txt','w').write('p')"
    params: [prepare.split]
    outs: [prepared.txt]
  featurize:
    cmd: python -c "open('features.txt','w').write('f')"
    deps: [prepared.txt]
    outs: [features.txt]
  train:
    cmd: python -c "open('model.txt','w').write('m')"
    deps: [features.txt]
    params: [train.lr]
    outs: [model.txt]
  evaluate:
    cmd: python -c "{EVAL}"
    deps: [model.txt]
    metrics:
    - eval/metrics.json:
        cache: false
metrics:
- extra.yaml
- sub/more.toml
"""
PARAMS = "prepare:\n  split: 0.2\ntrain:\n  lr: 0.01\n  layers: [1, 2]\n"


@pytest.fixture
def repo(git_repo: Path, dvc: Runner) -> Path:
    """The 4-stage pipeline, reproduced and committed by real DVC."""
    dvc("init", "-q")
    write_tree(git_repo, {"dvc.yaml": DVC_YAML, "params.yaml": PARAMS,
                          "extra.yaml": "acc: 0.5\nnested:\n  x: 3\n",
                          "sub/more.toml": "[t]\nloss = 0.123456789\n"})
    dvc("repro", "-q")
    subprocess.run(["git", "add", "-A"], check=True)
    subprocess.run(["git", "commit", "-qm", "one"], check=True)
    return git_repo


ARGS = ((), ("--json",), ("--md",), ("--precision", "2"), ("nonexist.json",),
        ("extra.yaml",))


@pytest.mark.parametrize("args", ARGS, ids=lambda a: " ".join(a) or "plain")
def test_show_matches_dvc(repo: Path, dvc: Runner, dvcdoit: Runner, args: tuple[str, ...]) -> None:
    want = dvc("metrics", "show", *args, check=False)
    got = dvcdoit("metrics", "show", *args, check=False)
    assert (got.returncode, got.stdout) == (want.returncode, want.stdout)


def test_corrupt_file_still_shows_others(repo: Path, dvc: Runner, dvcdoit: Runner) -> None:
    (repo / "extra.yaml").write_text("{bad")
    want = dvc("metrics", "show", check=False)
    got = dvcdoit("metrics", "show", check=False)
    assert (got.returncode, got.stdout) == (want.returncode, want.stdout)
    assert got.stderr == want.stderr.splitlines()[-1] + "\n"


@pytest.fixture
def history(repo: Path, dvc: Runner) -> Path:
    """Two more commits (the metrics and params change), a tag and a second branch."""
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "tag", "v1"], check=True)
    subprocess.run([*git, "branch", "old"], check=True)
    (repo / "extra.yaml").write_text("acc: 0.75\nnested:\n  x: 4\n")
    (repo / "params.yaml").write_text(PARAMS.replace("0.01", "0.02"))
    dvc("repro", "-q")
    # NOTE: a later second than 'one': DVC (libgit2) and git order same-second commits
    # differently for -A (docs/results.md)
    later = {**os.environ, "GIT_COMMITTER_DATE": f"@{int(time.time()) + 60} +0000"}
    subprocess.run([*git, "commit", "-qam", "two"], check=True, env=later)
    (repo / "sub/more.toml").write_text("[t]\nloss = 0.5\nnew = 1\n")
    return repo


REV_ARGS = (("-a",), ("-T",), ("-A",), ("-a", "--json"), ("-A", "--md"), ("-T", "--json"),
            ("-a", "-T", "extra.yaml"), ("-A", "--precision", "3"))


@pytest.mark.parametrize("args", REV_ARGS, ids=lambda a: " ".join(a))
def test_show_over_revisions_matches_dvc(history: Path, dvc: Runner, dvcdoit: Runner,
                                         args: tuple[str, ...]) -> None:
    want = dvc("metrics", "show", *args, check=False)
    got = dvcdoit("metrics", "show", *args, check=False)
    assert (got.returncode, got.stdout) == (want.returncode, want.stdout)
    assert "Revision" in got.stdout or "--json" in args


DIFF_ARGS = (("HEAD~1",), ("HEAD~1", "HEAD"), ("HEAD~1", "--all"), ("HEAD~1", "--md"),
             ("HEAD~1", "--no-path"), ("v1", "HEAD", "--precision", "2"), ())


@pytest.mark.parametrize("args", DIFF_ARGS, ids=lambda a: " ".join(a) or "HEAD-workspace")
def test_diff_matches_dvc(history: Path, dvc: Runner, dvcdoit: Runner,
                          args: tuple[str, ...]) -> None:
    """DVC walks the files in set order (random per process): rows are compared as a set,
    and exactly for one file."""
    want = dvc("metrics", "diff", *args, check=False)
    got = dvcdoit("metrics", "diff", *args, check=False)
    assert got.returncode == want.returncode == 0
    assert got.stdout.splitlines()[:1] == want.stdout.splitlines()[:1]
    assert sorted(got.stdout.splitlines()) == sorted(want.stdout.splitlines())
    one = ("--targets", "extra.yaml")
    assert dvcdoit("metrics", "diff", *args, *one).stdout == dvc("metrics", "diff", *args,
                                                                  *one).stdout


def test_diff_json_and_no_change_match_dvc(history: Path, dvc: Runner, dvcdoit: Runner) -> None:
    for args in (("HEAD~1", "--json"), ("HEAD~1", "HEAD", "--json", "--all")):
        got = json.loads(dvcdoit("metrics", "diff", *args).stdout)
        assert got == json.loads(dvc("metrics", "diff", *args).stdout)
    assert got["extra.yaml"]["acc"] == {"old": 0.5, "new": 0.75, "diff": 0.25}
    for args in (("HEAD", "HEAD"), ("HEAD", "HEAD", "--md"), ("HEAD", "HEAD", "--json")):
        assert dvcdoit("metrics", "diff", *args).stdout == dvc("metrics", "diff", *args).stdout


@pytest.mark.parametrize("args", [("m",), ("-R", "m"), ("m", "--json"), ("-R", "m/sub"),
                                  ("m/sub/y.yaml", "m"), ("--md", "m")],
                         ids=lambda a: " ".join(a))
def test_directory_targets_expand_as_dvcs(repo: Path, dvc: Runner, dvcdoit: Runner,
                                          args: tuple[str, ...]) -> None:
    """DVC 3.67.1 expands a directory target into its files with or without ``-R``; a
    plain-text file is read as YAML, one scalar in the column named ''."""
    write_tree(repo, {"m/x.json": '{"a": 1}', "m/sub/y.yaml": "b: 2\n", "m/readme.txt": "hi\n"})
    want = dvc("metrics", "show", *args, check=False)
    got = dvcdoit("metrics", "show", *args, check=False)
    assert (got.returncode, got.stdout, got.stderr) == (want.returncode, want.stdout, want.stderr)
    assert "m/sub/y.yaml" in got.stdout


def test_csv_holds_dvcs_table(history: Path, dvc: Runner, dvcdoit: Runner) -> None:
    """``--csv`` (dvcdoit's; DVC 3 has none): the cells of DVC's ``--md`` table, a missing
    value empty."""
    import csv
    import io

    md = dvc("metrics", "show", "-a", "--md").stdout.splitlines()
    want = [[c.strip() for c in line.strip("|").split("|")] for line in md
            if line and "---" not in line]
    want = [["" if c == "-" else c for c in row] for row in want]
    got = list(csv.reader(io.StringIO(dvcdoit("metrics", "show", "-a", "--csv").stdout)))
    assert got == want
    assert got[0][:2] == ["Revision", "Path"]


def test_revisions_that_failed_are_one_quoted_list(history: Path, dvc: Runner,
                                                   dvcdoit: Runner) -> None:
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    (history / "extra.yaml").write_text("{bad")
    later = {**os.environ, "GIT_COMMITTER_DATE": f"@{int(time.time()) + 120} +0000"}
    subprocess.run([*git, "commit", "-qam", "three"], check=True, env=later)
    (history / "extra.yaml").write_text("{worse")
    want = dvc("metrics", "show", "-A", check=False)
    got = dvcdoit("metrics", "show", "-A", check=False)
    assert got.stderr == want.stderr
    assert got.stderr.startswith("DVC failed to load some metrics for following revisions: "
                                 "'workspace, ")
