"""``dvcdoit exp run`` in the workspace, compared with real DVC 3.67.1 on the same repo."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import Runner
from tests.exppipeline import exp_ref, git, make_pipeline

RAN = """\
Reproducing experiment 'e1'
Stage 'prepare' didn't change, skipping
Stage 'featurize' didn't change, skipping
Running stage 'train':
> python src/train.py
Updating lock file 'dvc.lock'

Running stage 'evaluate':
> python src/evaluate.py
Updating lock file 'dvc.lock'

Ran experiment(s): e1
Experiment results have been applied to your workspace.
"""

SETS = ("-S", "train.n_est=60", "-S", "train.min_split=1e-3", "-S", "prepare.split=0.30",
        "-S", "train.layers.1=9", "-S", "+train.newkey=abc", "-S", "featurize.ngrams=2")


def test_run_is_an_experiment_dvc_shows_and_applies(git_repo: Path, dvcdoit: Runner,
                                                    dvc: Runner) -> None:
    baseline = make_pipeline(git_repo, dvcdoit)
    out = dvcdoit("exp", "run", "-S", "train.n_est=60", "-n", "e1")
    assert out.stdout == RAN
    sha = git(git_repo, "rev-parse", exp_ref(baseline, "e1"))
    assert git(git_repo, "rev-parse", f"{sha}^@") == baseline  # NOTE: one parent: HEAD
    assert git(git_repo, "rev-parse", "HEAD") == baseline
    assert git(git_repo, "diff", "--cached", "--name-only") == ""  # NOTE: index untouched
    assert git(git_repo, "log", "-1", "--format=%s", sha).startswith("dvc: commit experiment ")
    metrics = json.loads((git_repo / "eval.json").read_text())
    shown = json.loads(dvc("exp", "show", "--json").stdout)
    exps = [e for row in shown for e in (row.get("experiments") or [])]
    mine = [r for e in exps for r in e["revs"] if r["name"] == "e1"]
    assert len(mine) == 1
    data = mine[0]["data"]
    assert data["params"]["params.yaml"]["data"]["train"]["n_est"] == 60
    assert data["metrics"]["eval.json"]["data"] == metrics
    git(git_repo, "checkout", "-q", "--", ".")
    assert "n_est: 50" in (git_repo / "params.yaml").read_text()
    dvc("exp", "apply", "e1")
    assert "n_est: 60" in (git_repo / "params.yaml").read_text()


def test_same_commit_params_bytes_and_hash_as_dvc(git_repo: Path, dvcdoit: Runner,
                                                 dvc: Runner, tmp_path: Path) -> None:
    baseline = make_pipeline(git_repo, dvcdoit)
    theirs = tmp_path / "theirs"
    shutil.copytree(git_repo, theirs, symlinks=True)
    dvc("exp", "run", "-q", *SETS, "-n", "same", cwd=theirs)
    dvcdoit("exp", "run", "-q", *SETS, "-n", "same")
    ref = exp_ref(baseline, "same")
    assert (git_repo / "params.yaml").read_bytes() == (theirs / "params.yaml").read_bytes()
    assert git(git_repo, "log", "-1", "--format=%s", ref) == git(theirs, "log", "-1",
                                                                 "--format=%s", ref)
    assert git(git_repo, "rev-parse", f"{ref}^{{tree}}") == git(theirs, "rev-parse",
                                                                f"{ref}^{{tree}}")


def test_dvc_experiment_is_read_through_exprefs(git_repo: Path, dvcdoit: Runner,
                                                dvc: Runner) -> None:
    from dvcdoit.repo.exprefs import ExpRef, exp_refs

    baseline = make_pipeline(git_repo, dvcdoit)
    dvc("exp", "run", "-q", "-S", "train.n_est=61", "-n", "theirs")
    found = dict(exp_refs(git_repo))
    sha = found[ExpRef(baseline, "theirs")]
    assert git(git_repo, "rev-parse", f"{sha}^@") == baseline
    assert "n_est: 61" in git(git_repo, "show", f"{sha}:params.yaml")


def test_repeated_param_set_restores_from_the_run_cache(git_repo: Path, dvcdoit: Runner) -> None:
    make_pipeline(git_repo, dvcdoit)
    dvcdoit("exp", "run", "-S", "train.n_est=60", "-n", "first")
    git(git_repo, "checkout", "-q", "--", ".")
    dvcdoit("repro", "-q")
    out = dvcdoit("exp", "run", "-S", "train.n_est=60", "-n", "again").stdout
    assert "Running stage" not in out
    assert "Stage 'train' is cached - skipping run, checking out outputs" in out


@pytest.mark.parametrize(("args", "error"), [
    (("-S", "train.nope=1"), ("ERROR: Invalid `--set-param` value: Could not override "
     "'train.nope'. To append to your config use +train.nope=1: Key 'nope' is not in struct")),
    (("-S", "train.n_est=1,2"), "ERROR: Sweep overrides can't be used without `--queue`"),
    (("-S", "+train.n_est=1"), ("ERROR: Invalid `--set-param` value: Could not append to "
     "config. An item is already at 'train.n_est'.")),
    (("-n", "bad name"), ("ERROR: Invalid exp name bad name, the exp name must follow rules in "
     "https://git-scm.com/docs/git-check-ref-format")),
])
def test_bad_input_is_one_line(git_repo: Path, dvcdoit: Runner, args: tuple[str, ...],
                               error: str) -> None:
    make_pipeline(git_repo, dvcdoit)
    out = dvcdoit("exp", "run", *args, check=False)
    assert (out.returncode, out.stderr.strip()) == (3, error)
    assert git(git_repo, "status", "--porcelain") == ""  # NOTE: nothing written


def test_existing_name_needs_force(git_repo: Path, dvcdoit: Runner) -> None:
    baseline = make_pipeline(git_repo, dvcdoit)
    dvcdoit("exp", "run", "-q", "-S", "train.n_est=60", "-n", "taken")
    first = git(git_repo, "rev-parse", exp_ref(baseline, "taken"))
    out = dvcdoit("exp", "run", "-S", "train.n_est=61", "-n", "taken", check=False)
    assert out.stderr.strip() == ("ERROR: Experiment conflicts with existing experiment "
                                  "'taken'. To overwrite the existing experiment run: "
                                  "dvcdoit exp run -f ...")
    dvcdoit("exp", "run", "-q", "-f", "-S", "train.n_est=61", "-n", "taken")
    assert git(git_repo, "rev-parse", exp_ref(baseline, "taken")) != first


def test_failing_run_leaves_no_ref(git_repo: Path, dvcdoit: Runner) -> None:
    baseline = make_pipeline(git_repo, dvcdoit)
    out = dvcdoit("exp", "run", "-S", "train.n_est=abc", "-n", "broken", check=False)
    assert out.returncode == 1
    assert "ERROR: failed to reproduce 'evaluate'" in out.stderr
    assert git(git_repo, "for-each-ref", exp_ref(baseline, "broken")) == ""


def test_exp_save(git_repo: Path, dvcdoit: Runner) -> None:
    baseline = make_pipeline(git_repo, dvcdoit)
    out = dvcdoit("exp", "save", "-n", "kept")
    assert out.stdout == "Experiment has been saved as: kept\n"
    assert git(git_repo, "rev-parse", f"{exp_ref(baseline, 'kept')}^@") == baseline


def test_temp_run_leaves_the_workspace_alone(git_repo: Path, dvcdoit: Runner) -> None:
    baseline = make_pipeline(git_repo, dvcdoit)
    out = dvcdoit("exp", "run", "--temp", "-S", "train.n_est=44", "-n", "aside").stdout
    assert out.endswith("Ran experiment(s): aside\nTo apply the results of an experiment to "
                        "your workspace run:\n\n\tdvcdoit exp apply <exp>\n")
    assert git(git_repo, "status", "--porcelain") == ""
    assert "n_est: 44" in git(git_repo, "show", f"{exp_ref(baseline, 'aside')}:params.yaml")
    assert dvcdoit("queue", "status").stdout.startswith("No experiment tasks in the queue.")
    assert git(git_repo, "worktree", "list").count("\n") == 0


def _tree(root: Path, ref: str) -> list[str]:
    """The files of ``ref``, but DVC's own ``.dvc/tmp/repro.dat`` (its ``exp save`` after an
    ``exp run`` commits that pickle of its run; dvcdoit writes none)."""
    return [line for line in git(root, "ls-tree", "-r", ref).splitlines()
            if "\t.dvc/tmp/" not in line]


def test_message_is_the_commit_message_as_dvcs(git_repo: Path, dvcdoit: Runner, dvc: Runner,
                                               dvcdoit_proc: Runner, tmp_path: Path) -> None:
    baseline = make_pipeline(git_repo, dvcdoit)
    theirs = tmp_path / "theirs"
    shutil.copytree(git_repo, theirs, symlinks=True)
    for root, run in ((git_repo, dvcdoit), (theirs, dvc)):
        run("exp", "run", "-q", "-S", "train.n_est=61", "-n", "m1", "-m", "tuned n_est",
            cwd=root)
        git(root, "checkout", "-q", "--", ".")
        run("exp", "save", "-q", "-n", "s1", "-m", "saved as is", cwd=root)
    for name, message in (("m1", "tuned n_est"), ("s1", "saved as is")):
        ref = exp_ref(baseline, name)
        assert git(git_repo, "log", "-1", "--format=%B", ref) == message
        assert git(theirs, "log", "-1", "--format=%B", ref) == message
        assert _tree(git_repo, ref) == _tree(theirs, ref)
    dvcdoit("exp", "run", "--queue", "-S", "train.n_est=62", "-n", "q1", "-m", "from the queue")
    dvcdoit_proc("exp", "run", "--run-all")
    assert git(git_repo, "log", "-1", "--format=%B", exp_ref(baseline, "q1")) == "from the queue"


def test_repro_flags_pass_through(git_repo: Path, dvcdoit: Runner) -> None:
    make_pipeline(git_repo, dvcdoit)
    shutil.rmtree(git_repo / ".dvc" / "cache")
    (git_repo / "model.pkl").unlink()
    out = dvcdoit("exp", "run", "--allow-missing", "-n", "am").stdout
    assert "Stage 'train' didn't change, skipping" in out
    assert not (git_repo / "model.pkl").exists()
    bad = git_repo / "src" / "featurize.py"
    bad.write_text("raise SystemExit(3)\n")
    failed = dvcdoit("exp", "run", "-k", "-f", "-n", "kg", check=False)
    assert failed.returncode == 1
    assert "failed to reproduce 'featurize'" in failed.stderr
