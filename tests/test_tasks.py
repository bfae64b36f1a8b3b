"""doit integration: `doit repro` / `dvcdoit repro` in temp repos, dodo.py mixing, interop with DVC."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Runner, write_tree
from tests.test_mixing import ran

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = """\
[tool.doit]
loader = "dvcdoit"
dep_file = ".dvc/tmp/doit.json"
backend = "json"
[tool.doit.plugins.loader]
dvcdoit = "dvcdoit.tasks:DvcDoitLoader"
"""
PIPELINE = """\
stages:
  prepare:
    cmd: mkdir -p out && cp data/in.txt out/a.txt
    deps: [data/in.txt]
    params: [lr]
    outs: [out]
  other:
    cmd: echo other > other.txt
    deps: [data/in.txt]
    outs: [other.txt]
  train:
    cmd:
    - cat out/a.txt out/a.txt > model.txt
    - echo ran >> train.log
    deps: [out/a.txt]
    outs: [model.txt]
"""


def doit(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "doit", *args], capture_output=True, text=True,
                          env=env, check=False)
    if check and proc.returncode != 0:
        msg = f"doit {args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        raise AssertionError(msg)
    return proc


@pytest.fixture
def repo(git_repo: Path) -> Path:
    (git_repo / ".dvc" / "tmp").mkdir(parents=True)
    (git_repo / ".dvc" / "config").write_text("")
    write_tree(git_repo, {"pyproject.toml": PYPROJECT, "dvc.yaml": PIPELINE,
                          "params.yaml": "lr: 0.1\n", "data/in.txt": "hello\n"})
    return git_repo


def test_order_noop_and_fresh_clone(repo: Path) -> None:
    first = doit()
    assert ran(first) == ["repro:prepare", "repro:other", "repro:train"]
    assert (repo / "model.txt").read_text() == "hello\nhello\n"
    lock = (repo / "dvc.lock").read_text()
    assert ran(doit()) == []
    os.remove(repo / ".dvc/tmp/doit.json")  # a fresh clone has no doit DB
    assert ran(doit()) == []
    assert (repo / "dvc.lock").read_text() == lock
    assert sorted((repo / ".gitignore").read_text().split()) == ["/model.txt", "/other.txt", "/out"]


def test_param_change_and_reason(repo: Path) -> None:
    doit()
    (repo / "params.yaml").write_text("lr: 0.2\n")
    info = doit("info", "repro:prepare", check=False)
    assert "changed deps: params.yaml: modified: lr" in info.stdout
    assert ran(doit()) == ["repro:prepare"]  # train's dep out/a.txt did not change


def test_restore_from_cache_and_run_cache(repo: Path) -> None:
    doit()
    shutil.rmtree(repo / "out")
    out = doit("repro:prepare")
    assert "Stage 'prepare' is cached - skipping run, checking out outputs" in out.stdout
    assert (repo / "out/a.txt").read_text() == "hello\n"
    (repo / "data/in.txt").write_text("bye\n")
    doit()
    (repo / "data/in.txt").write_text("hello\n")
    out = doit()
    assert "Stage 'prepare' is cached" in out.stdout  # from the run-cache
    assert (repo / "model.txt").read_text() == "hello\nhello\n"


def test_parallel(repo: Path) -> None:
    proc = doit("-n", "2", "-P", "process")
    assert set(ran(proc)) == {"repro:prepare", "repro:other", "repro:train"}
    assert ran(doit("-n", "2")) == []


def test_failing_command_leaves_lock(repo: Path) -> None:
    doit()
    lock = (repo / "dvc.lock").read_text()
    (repo / "dvc.yaml").write_text(PIPELINE.replace("echo other > other.txt", "exit 7"))
    proc = doit(check=False)
    assert proc.returncode != 0
    assert "failed to run: exit 7, exited with 7" in proc.stdout + proc.stderr
    assert (repo / "dvc.lock").read_text() == lock


def test_missing_output_is_an_error(repo: Path) -> None:
    (repo / "dvc.yaml").write_text("stages:\n  s:\n    cmd: 'true'\n    outs: [never.txt]\n")
    proc = doit(check=False)
    assert proc.stderr == ("ERROR: failed to reproduce 's': output 'never.txt' does not exist "
                           "(stage 's' did not create it)\n")
    assert not (repo / "dvc.lock").exists()


def test_dodo_mixing_both_directions(repo: Path) -> None:
    (repo / "dodo.py").write_text(
        "def task_gen():\n"
        "    return {'actions': ['mkdir -p gen && echo g > gen/raw.txt'], 'targets': ['gen']}\n"
        "def task_report():\n"
        "    return {'actions': ['cat model.txt > report.txt'], 'file_dep': ['model.txt'],\n"
        "            'targets': ['report.txt']}\n")
    (repo / "dvc.yaml").write_text(PIPELINE + "  usegen:\n    cmd: cp gen/raw.txt g.txt\n"
                                   "    deps: [gen/raw.txt]\n    outs: [g.txt]\n")
    proc = doit("repro", "report")
    order = ran(proc)
    assert order.index("gen") < order.index("repro:usegen")
    assert order.index("repro:train") < order.index("report")


def test_star_import_and_clash(repo: Path) -> None:
    (repo / "pyproject.toml").write_text("[tool.doit]\nbackend = 'json'\n")
    (repo / "dodo.py").write_text("from dvcdoit.tasks import *\n")
    assert ran(doit()) == ["repro:prepare", "repro:other", "repro:train"]
    (repo / "pyproject.toml").write_text(PYPROJECT)
    (repo / "dodo.py").write_text("def task_repro():\n    return {'actions': ['true']}\n")
    proc = doit(check=False)
    assert proc.returncode == 3
    assert proc.stderr == ("ERROR: dodo.py: task 'repro' clashes with dvcdoit's tasks ('repro', "
                           "'repro:<stage>', 'push', 'pull', 'fetch', 'status'); rename it\n")


@pytest.mark.parametrize("name", ["repro", "push", "status"])
def test_star_import_then_shadowing_is_an_error(repo: Path, name: str) -> None:
    (repo / "pyproject.toml").write_text("[tool.doit]\nbackend = 'json'\n")
    (repo / "dodo.py").write_text("from dvcdoit.tasks import *\n\n"
                                  f"def task_{name}():\n    return {{'actions': ['true']}}\n")
    proc = doit(check=False)
    assert proc.returncode == 3
    assert proc.stderr == (f"ERROR: dodo.py: task '{name}' clashes with dvcdoit's task of that "
                           "name (it replaces the one 'from dvcdoit.tasks import *' brought); "
                           "rename it\n")


@pytest.mark.interop
def test_interop_both_directions(repo: Path, dvc: Runner) -> None:
    doit()
    assert dvc("status").stdout.strip() == "Data and pipelines are up to date."
    assert "didn't change, skipping" in dvc("repro").stdout
    (repo / "data/in.txt").write_text("changed\n")
    dvc("repro")
    assert ran(doit()) == []


@pytest.mark.interop
def test_dvcdoit_run_single_stage_then_migrate(git_repo: Path, dvc: Runner, dvcdoit: Runner,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    dvc("init", "-q")
    write_tree(git_repo, {"data/data.xml": "<x/>\n",
                          "src/prepare.py": "import os\nos.makedirs('data/prepared', exist_ok=True)\n"
                          "open('data/prepared/t.tsv','w').write(open('data/data.xml').read())\n"})
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # NOTE: undone after the test
    dvcdoit("run", "-f", "prepare.dvc", "-d", "src/prepare.py", "-d", "data/data.xml",
            "-o", "data/prepared", "python", "src/prepare.py")
    assert (git_repo / "prepare.dvc").read_text().startswith("md5: ")
    assert (git_repo / "data/.gitignore").read_text() == "/prepared\n"
    assert dvc("status", check=False).returncode != 0  # DVC 3 refuses single-stage files
    dvcdoit("migrate")
    assert not (git_repo / "prepare.dvc").exists()
    assert dvc("status").stdout.strip() == "Data and pipelines are up to date."


def test_dvcdoit_repro_noop_fast_path_prints_what_doit_prints(repo: Path, dvcdoit: Runner
                                                               ) -> None:
    (repo / "pyproject.toml").unlink()  # NOTE: no doit config: the no-op skips doit entirely
    assert set(ran(dvcdoit("repro"))) == {"repro:prepare", "repro:other", "repro:train"}
    fast = dvcdoit("repro").stdout
    (repo / "doit.cfg").write_text("")  # NOTE: doit config present: doit reports the no-op
    assert dvcdoit("repro").stdout == fast == (
        "Stage 'prepare' didn't change, skipping\nStage 'other' didn't change, skipping\n"
        "Stage 'train' didn't change, skipping\nData and pipelines are up to date.\n")
    assert dvcdoit("repro", "train").stdout == (
        "Stage 'prepare' didn't change, skipping\nStage 'train' didn't change, skipping\n"
        "Data and pipelines are up to date.\n")
    (repo / "doit.cfg").unlink()
    (repo / "params.yaml").write_text("lr: 0.2\n")  # NOTE: a change falls through to doit
    assert ran(dvcdoit("repro", "train")) == ["repro:prepare"]  # same out.txt: train is kept


def test_doit_run_holds_the_repo_lock(repo: Path, tmp_path: Path) -> None:
    """While `doit repro` runs a stage, DVC's repo lock is held (dvc would refuse to start)."""
    probe = tmp_path / "probe.txt"
    script = ("import fcntl,os,sys;fd=os.open('.dvc/tmp/lock',os.O_RDWR);"
              "r='free'\ntry:\n fcntl.flock(fd,fcntl.LOCK_EX|fcntl.LOCK_NB)\n"
              "except OSError:\n r='held'\n"
              f"open({str(probe)!r},'w').write(r)")
    (repo / "probe.py").write_text(script)
    (repo / "dvc.yaml").write_text(
        "stages:\n  look:\n    cmd: python probe.py && echo x > seen.txt\n"
        "    deps:\n    - probe.py\n    outs:\n    - seen.txt\n")
    (repo / "dodo.py").write_text("from dvcdoit.tasks import *\n")
    doit("repro:look")
    assert probe.read_text() == "held"


def test_repro_no_run_cache_runs_what_the_run_cache_would_restore(repo: Path, dvcdoit: Runner
                                                                  ) -> None:
    (repo / "pyproject.toml").unlink()
    dvcdoit("repro")
    (repo / "data/in.txt").write_text("bye\n")
    dvcdoit("repro")
    (repo / "data/in.txt").write_text("hello\n")  # NOTE: the run-cache knows this input
    restored = dvcdoit("repro", "prepare").stdout
    assert "Stage 'prepare' is cached - skipping run, checking out outputs" in restored
    (repo / "data/in.txt").write_text("bye\n")
    dvcdoit("repro", "prepare")
    (repo / "data/in.txt").write_text("hello\n")
    out = dvcdoit("repro", "--no-run-cache", "prepare").stdout
    assert "Running stage 'prepare':" in out
    assert "is cached" not in out
    assert (repo / "out/a.txt").read_text() == "hello\n"
    assert "DVCDOIT_FORCE" not in os.environ


@pytest.mark.parametrize("params", ["lr: [0.1\n", "lr: 0.1\nlr: 0.2\n"])
def test_an_error_in_the_uptodate_check_is_one_line_under_doit(repo: Path, params: str) -> None:
    doit()
    (repo / "params.yaml").write_text(params)
    proc = doit(check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 1, text
    assert "Traceback" not in text
    failed = [ln for ln in text.splitlines()
              if ln.startswith("ERROR: failed to reproduce 'prepare': ")]
    assert len(failed) == 1 and "params.yaml" in failed[0], text
    info = doit("info", "repro:prepare", check=False).stdout
    assert "params.yaml" in info and "Traceback" not in info
