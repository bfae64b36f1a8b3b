"""doit's own verbs and habits agreeing with ``dvc.lock`` (issue 15, items 2 to 5).

``doit ignore``/``forget``/``info``/``list``/``clean`` on stage tasks; the reasons every run
prints (``dvcdoit repro -v``, ``doit -v 2``, ``--reporter json``); one block per stage under
``doit -n 2``; and ``-f``, ``-d``, a user's own dep DB, ``-P thread``, ``doit auto``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import Runner, write_tree
from tests.test_mixing import LOADER, doit, ran

PIPELINE = """\
stages:
  slow_a:
    desc: the first slow stage
    cmd: for i in 1 2 3; do echo a$i; sleep 0.2; done; echo a > a.out
    deps: [a.txt]
    params: [lr]
    outs: [a.out]
  slow_b:
    cmd: for i in 1 2 3; do echo b$i; echo eb$i >&2; sleep 0.2; done; echo b > b.out
    deps: [b.txt]
    outs: [b.out]
  always:
    cmd: echo x > always.txt
    outs: [always.txt]
    always_changed: true
"""
IGNORED = ("Stage 'slow_a' is ignored by doit ('doit ignore repro:slow_a'): "
           "'dvcdoit repro' skips it until 'doit forget repro:slow_a'")
FORGET = ("Stage 'slow_a': its state lives in dvc.lock, which 'doit forget' leaves alone; "
          "to run it again use 'dvcdoit repro -f slow_a'")


def make(root: Path, style: str) -> Path:
    (root / ".dvc" / "tmp").mkdir(parents=True, exist_ok=True)
    (root / ".dvc" / "config").write_text("")
    write_tree(root, {"dvc.yaml": PIPELINE, "a.txt": "a\n", "b.txt": "b\n",
                      "params.yaml": "lr: 0.1\n"})
    if style == "loader":
        (root / "pyproject.toml").write_text(LOADER)
        (root / "dodo.py").write_text("")
    else:
        (root / "dodo.py").write_text("from dvcdoit.tasks import *\n")
    return root


@pytest.fixture(params=["star", "loader"])
def repo(request: pytest.FixtureRequest, git_repo: Path) -> Path:
    return make(git_repo, request.param)


@pytest.fixture
def loader_repo(git_repo: Path) -> Path:
    return make(git_repo, "loader")


# ------------------------------------------------------------------ item 2: doit's verbs

def test_ignore_is_told_by_repro_and_status_and_forget_undoes_it(repo: Path, dvcdoit: Runner
                                                                 ) -> None:
    doit(repo)
    assert doit(repo, "ignore", "repro:slow_a").stdout == "ignoring repro:slow_a\n"
    (repo / "a.txt").write_text("a2\n")
    out = dvcdoit("repro").stdout
    assert IGNORED in out.splitlines() and "!! repro:slow_a" in out, out
    assert "Running stage 'slow_a'" not in out
    status = dvcdoit("status").stdout
    assert status.startswith("slow_a:\n\tchanged deps:\n"), status
    assert IGNORED in status.splitlines()
    doit_status = doit(repo, "status").stdout
    assert "slow_a:\n\tchanged deps:\n" in doit_status and IGNORED in doit_status.splitlines()
    assert json.loads(dvcdoit("status", "--json").stdout) == {
        "slow_a": [{"changed deps": {"a.txt": "modified"}}], "always": ["always changed"]}
    forget = doit(repo, "forget", "repro:slow_a").stdout
    assert "forgetting repro:slow_a\n" in forget
    assert IGNORED not in dvcdoit("status").stdout
    assert "Running stage 'slow_a':" in dvcdoit("repro").stdout


def test_forget_says_where_stage_state_lives(repo: Path) -> None:
    doit(repo)
    out = doit(repo, "forget", "repro:slow_a").stdout
    assert out.splitlines() == [FORGET, "forgetting repro:slow_a"]


def test_info_shows_cmd_deps_outs_and_why(repo: Path) -> None:
    doit(repo)
    (repo / "a.txt").write_text("a2\n")
    (repo / "params.yaml").write_text("lr: 0.2\n")
    info = doit(repo, "info", "repro:slow_a", check=False)
    assert info.returncode == 1  # NOTE: doit's "not up to date"
    text = info.stdout
    assert "the first slow stage" in text
    assert "changed deps: modified: a.txt; changed deps: params.yaml: modified: lr" in text
    assert "'cmd': 'for i in 1 2 3; do echo a$i; sleep 0.2; done; echo a > a.out'" in text
    assert "'deps': ['a.txt']" in text and "'outs': ['a.out']" in text
    assert "'params': ['params.yaml: lr']" in text


def test_list_shows_desc(repo: Path) -> None:
    listing = doit(repo, "list", "--all").stdout
    assert re.search(r"^repro:slow_a +the first slow stage$", listing, re.MULTILINE), listing
    assert re.search(r"^repro:slow_b +stage slow_b: for i in", listing, re.MULTILINE), listing


def test_clean_removes_only_outputs_the_cache_keeps(repo: Path, dvcdoit: Runner) -> None:
    doit(repo)
    (repo / "b.out").chmod(0o644)
    (repo / "b.out").unlink()
    (repo / "b.out").write_text("edited by hand\n")
    dry = doit(repo, "clean", "-n", "repro:slow_a").stdout
    assert "repro:slow_a - removing 'a.out'" in dry and (repo / "a.out").exists()
    out = doit(repo, "clean", "repro:slow_a", "repro:slow_b", "repro:always").stdout
    assert ("repro:slow_a - removing 'a.out' (in the cache: 'dvcdoit checkout slow_a' "
            "restores it)") in out
    assert ("repro:slow_b - keeping 'b.out': modified since dvc.lock "
            "(run 'dvcdoit commit -f slow_b' to save it first)") in out
    assert not (repo / "a.out").exists()
    assert (repo / "b.out").read_text() == "edited by hand\n"
    assert (repo / "dvc.lock").exists() and (repo / "dvc.yaml").exists()
    dvcdoit("checkout", "slow_a")
    assert (repo / "a.out").read_text() == "a\n"


# ------------------------------------------------------------------ item 3: reasons

def test_dvcdoit_repro_v_says_why_each_stage_ran_or_was_skipped(repo: Path, dvcdoit: Runner
                                                                ) -> None:
    first = dvcdoit("repro", "-v").stdout
    assert ("Reason for stage 'slow_a': changed deps: modified: a.txt; changed deps: new: "
            "params.yaml; changed outs: deleted: a.out") in first, first
    assert "Reason for stage 'always': changed outs: deleted: always.txt; always changed" in first
    plain = dvcdoit("repro").stdout
    assert "Reason for" not in plain  # NOTE: DVC's own output: what ran and what was skipped
    assert "Stage 'slow_a' didn't change, skipping" in plain.splitlines()
    again = dvcdoit("repro", "-v").stdout
    assert "Stage 'slow_a' didn't change, skipping" in again.splitlines()
    (repo / "params.yaml").write_text("lr: 0.2\n")
    changed = dvcdoit("repro", "-v", "slow_a").stdout
    assert "Reason for stage 'slow_a': changed deps: params.yaml: modified: lr" in changed
    (repo / "params.yaml").write_text("lr: 0.1\n")  # NOTE: the run-cache knows this one
    cached = dvcdoit("repro", "-v", "slow_a").stdout
    assert cached.splitlines()[0:2] == [
        "Reason for stage 'slow_a': changed deps: params.yaml: modified: lr",
        "Stage 'slow_a' is cached - skipping run, checking out outputs"], cached
    (repo / "a.out").unlink()
    missing = dvcdoit("repro", "-v", "slow_a").stdout
    assert "Reason for stage 'slow_a': changed outs: deleted: a.out" in missing
    forced = dvcdoit("repro", "-v", "-f", "slow_b").stdout
    assert "Reason for stage 'slow_b': forced" in forced.splitlines()


def test_doit_v2_prints_the_reasons(repo: Path) -> None:
    doit(repo)
    (repo / "b.txt").write_text("b2\n")
    out = doit(repo, "-v", "2", "repro").stdout
    assert "Reason for stage 'slow_b': changed deps: modified: b.txt" in out.splitlines()
    assert "Stage 'slow_a' didn't change, skipping" in out.splitlines()  # NOTE: our reporter
    (repo / "b.txt").write_text("b3\n")
    console = doit(repo, "--reporter", "console", "repro").stdout  # NOTE: doit's, if asked
    assert "-- repro:slow_a" in console.splitlines() and ".  repro:slow_b" in console.splitlines()


def test_reporter_json_carries_the_reasons_and_the_output(repo: Path) -> None:
    doit(repo)
    (repo / "a.txt").write_text("a2\n")
    report = json.loads(doit(repo, "--reporter", "json").stdout)
    tasks = {t["name"]: t for t in report["tasks"]}
    assert tasks["repro:slow_a"]["out"].splitlines()[:3] == [
        "Reason for stage 'slow_a': changed deps: modified: a.txt", "Running stage 'slow_a':",
        "> for i in 1 2 3; do echo a$i; sleep 0.2; done; echo a > a.out"]
    assert "a3" in tasks["repro:slow_a"]["out"]
    assert tasks["repro:slow_b"]["result"] == "up-to-date"


# ------------------------------------------------------------------ item 4: one block per stage

def _blocks(out: str) -> dict[str, list[str]]:
    """Each stage's lines (its block starts at its "Reason for stage" line)."""
    blocks: dict[str, list[str]] = {}
    current = None
    for line in out.splitlines():
        m = re.match(r"Reason for stage '(\w+)'", line)
        if m:
            current = m.group(1)
        elif not line or line.startswith((".  ", "-- ", "Updating lock file", "Generating lock",
                                          "Stage '", "'", "To track", "Use `dvcdoit push`")):
            current = None  # NOTE: the stage's block ends where the reporter's lines start
            continue
        if current:
            blocks.setdefault(current, []).append(line)
    return blocks


@pytest.mark.parametrize("runner", [["-n", "2"], ["-n", "2", "-P", "thread"]])
def test_parallel_stages_print_one_block_each(repo: Path, runner: list[str]) -> None:
    proc = doit(repo, *runner, "repro")
    blocks = _blocks(proc.stdout)
    assert blocks["slow_a"][1:] == [
        "Running stage 'slow_a':", "> for i in 1 2 3; do echo a$i; sleep 0.2; done; echo a > a.out",
        "a1", "a2", "a3"], proc.stdout
    assert blocks["slow_b"][2:] == [
        "> for i in 1 2 3; do echo b$i; echo eb$i >&2; sleep 0.2; done; echo b > b.out",
        "b1", "eb1", "b2", "eb2", "b3", "eb3"], proc.stdout
    assert (repo / "a.out").read_text() == "a\n" and (repo / "b.out").read_text() == "b\n"
    assert "slow_a" in (repo / "dvc.lock").read_text() and "slow_b" in (
        repo / "dvc.lock").read_text()
    assert ran(doit(repo, *runner, "repro")) == ["repro:always"]


def test_dvcdoit_repro_jobs_prints_one_block_each(repo: Path, dvcdoit: Runner) -> None:
    out = dvcdoit("repro", "-v", "-j", "2").stdout
    assert _blocks(out)["slow_b"][2:] == [
        "> for i in 1 2 3; do echo b$i; echo eb$i >&2; sleep 0.2; done; echo b > b.out",
        "b1", "eb1", "b2", "eb2", "b3", "eb3"], out


def test_one_process_streams_the_commands_output(repo: Path) -> None:
    out = doit(repo, "repro:slow_b")
    lines = out.stdout.splitlines()
    after = lines.index("> for i in 1 2 3; do echo b$i; echo eb$i >&2; sleep 0.2; done; "
                        "echo b > b.out") + 1
    assert lines[after:after + 4] == ["b1", "b2", "b3", "Generating lock file 'dvc.lock'"]
    # NOTE: stderr apart, live
    assert out.stderr.splitlines() == ["eb1", "eb2", "eb3"]


# ------------------------------------------------------------------ item 5: doit habits

def test_other_dodo_file_and_subdir(git_repo: Path) -> None:
    make(git_repo, "star")
    (git_repo / "dodo.py").unlink()
    (git_repo / "build.py").write_text("from dvcdoit.tasks import *\n\n"
                                       "def task_hello():\n    return {'actions': ['true']}\n")
    out = doit(git_repo, "-f", "build.py", "repro", "hello")
    assert set(ran(out)) == {"repro:slow_a", "repro:slow_b", "repro:always", "hello"}
    sub = git_repo / "sub"
    sub.mkdir()
    (git_repo / "a.txt").write_text("a3\n")
    out = doit(sub, "-f", "../build.py", "-d", "..", "repro:slow_a")
    assert ran(out) == ["repro:slow_a"], out.stdout + out.stderr
    assert (git_repo / "a.out").exists() and not (sub / "dvc.lock").exists()


def test_a_users_own_dep_db_beside_ours(git_repo: Path) -> None:
    make(git_repo, "star")
    (git_repo / "dodo.py").write_text(
        "from dvcdoit.tasks import *\n"
        "DOIT_CONFIG = doit_config(dep_file='.my-doit.json', backend='json')\n"
        "def task_hello():\n    return {'actions': ['echo hi > hi.txt'], 'targets': ['hi.txt'],"
        " 'file_dep': ['a.txt']}\n")
    out = doit(git_repo, "repro", "hello")
    assert "hello" in ran(out)
    assert (git_repo / ".my-doit.json").is_file()
    assert not (git_repo / ".dvc" / "tmp" / "doit.sqlite3").exists()
    assert ran(doit(git_repo, "repro", "hello")) == ["repro:always"]


def test_doit_auto_without_the_plugin_is_one_clear_line(repo: Path) -> None:
    from importlib.metadata import entry_points

    if any(ep.name == "auto" for ep in entry_points(group="doit.COMMAND")):
        pytest.skip("doit-auto1 is installed: 'doit auto' is its command")
    proc = doit(repo, "auto", check=False)
    assert proc.returncode == 3
    assert proc.stderr == ("ERROR: 'doit auto' needs doit's watch plugin: pip install doit-auto1 "
                           "(doit 0.36 moved 'auto' out of doit)\n")


def test_a_user_task_named_like_a_stage_is_still_refused(repo: Path) -> None:
    dodo = repo / "dodo.py"
    dodo.write_text(dodo.read_text() + "def task_mine():\n"
                    "    return {'basename': 'repro:slow_a', 'actions': ['true']}\n")
    proc = doit(repo, check=False)
    assert proc.returncode == 3 and "Traceback" not in proc.stderr, proc.stderr
    if (repo / "pyproject.toml").exists():
        assert proc.stderr.startswith(
            "ERROR: dodo.py: task 'repro:slow_a' clashes with dvcdoit's tasks ('repro', "), proc.stderr
    else:
        assert proc.stderr == "ERROR: Task names must be unique. repro:slow_a\n"
