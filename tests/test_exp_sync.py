"""``exp push`` / ``exp pull`` against real DVC 3.67.1: the same lines, refs and uploads on
twin repos, and each tool pulls what the other pushed (a bare git remote on disk, a local
DVC remote)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import Runner
from tests.exppipeline import exp_ref, git, make_pipeline

pytestmark = pytest.mark.interop


def _project(root: Path, dvcdoit: Runner, store: Path) -> str:
    """The pipeline in ``root`` with a bare ``origin`` beside it and a local DVC remote."""
    baseline = make_pipeline(root, dvcdoit)
    origin = root.parent / f"{root.name}-origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    git(root, "remote", "add", "origin", str(origin))
    dvcdoit("remote", "add", "-d", "store", str(store), cwd=root)
    git(root, "commit", "-qam", "remote")
    git(root, "push", "-q", "origin", "HEAD")
    return git(root, "rev-parse", "HEAD") or baseline


def _objects(store: Path) -> list[str]:
    """The object names on a local remote; DVC leaves stray ``.….tmp`` files there too."""
    return sorted(p.name for p in store.rglob("*") if p.is_file() and not p.name.startswith("."))


def _exp(run: Runner, root: Path, n_est: int, name: str) -> None:
    run("exp", "run", "-q", "-S", f"train.n_est={n_est}", "-n", name, cwd=root)
    git(root, "checkout", "-q", "--", ".")


@pytest.fixture
def twins(git_repo: Path, dvcdoit: Runner, dvc: Runner) -> tuple[Path, Path, str]:
    """Two copies of one project (each with its own origin and DVC remote), each with the
    same two experiments run by dvcdoit."""
    head = _project(git_repo, dvcdoit, git_repo.parent / "store")
    other = git_repo.parent / "other"
    shutil.copytree(git_repo, other, symlinks=True)
    subprocess.run(["git", "init", "-q", "--bare", str(git_repo.parent / "other-origin.git")],
                   check=True)
    git(other, "remote", "set-url", "origin", str(git_repo.parent / "other-origin.git"))
    git(other, "push", "-q", "origin", "HEAD")
    dvcdoit("remote", "modify", "--local", "store", "url", str(git_repo.parent / "other-store"),
            cwd=other)
    for root in (git_repo, other):
        _exp(dvcdoit, root, 61, "e61")
        _exp(dvcdoit, root, 62, "e62")
    return git_repo, other, head


def test_push_lines_and_uploads_are_dvcs(twins: tuple[Path, Path, str], dvcdoit: Runner,
                                         dvc: Runner) -> None:
    mine, theirs, head = twins
    for args in (("origin", "e61"), ("origin", "e61"), ("origin",), ("origin", "e61", "--no-cache")):
        ours = dvcdoit("exp", "push", *args, cwd=mine)
        ref = dvc("exp", "push", *args, cwd=theirs)
        assert (ours.stdout, ours.stderr) == (ref.stdout, ref.stderr), args
    assert ours.stdout == ("Experiment e61 is up to date on Git remote 'origin'.\nTo push "
                           "cached outputs for this experiment to DVC remote storage,re-run "
                           "this command without '--no-cache'.\n")
    origin = mine.parent / "repo-origin.git"
    assert git(origin, "for-each-ref", "--format=%(refname)", "refs/exps") == "\n".join(
        sorted([exp_ref(head, "e61"), exp_ref(head, "e62")]))
    assert _objects(mine.parent / "store") == _objects(mine.parent / "other-store")


def test_errors(twins: tuple[Path, Path, str], dvcdoit: Runner, dvc: Runner) -> None:
    mine, theirs, _ = twins
    ours = dvcdoit("exp", "push", "origin", "nope", check=False, cwd=mine)
    ref = dvc("exp", "push", "origin", "nope", check=False, cwd=theirs)
    assert ours.stderr == ref.stderr == "ERROR: 'nope' is not a valid experiment name\n"
    assert (ours.returncode, ref.returncode) == (3, 255)  # NOTE: dvcdoit's user-error code
    ours = dvcdoit("exp", "pull", "nope", "e61", check=False, cwd=mine)
    ref = dvc("exp", "pull", "nope", "e61", check=False, cwd=theirs)
    assert ours.stderr == ref.stderr == "ERROR: 'nope' is not a valid Git remote or URL\n"
    # NOTE: DVC's push to an unknown remote is an "unexpected error"; dvcdoit's is one line
    ours = dvcdoit("exp", "push", "nope", "e61", check=False, cwd=mine)
    assert ours.stderr == "ERROR: 'nope' is not a valid Git remote or URL\n"


def test_diverged_push_is_refused_then_forced(twins: tuple[Path, Path, str], dvcdoit: Runner,
                                              dvc: Runner) -> None:
    mine, theirs, head = twins
    for root, run in ((mine, dvcdoit), (theirs, dvc)):
        run("exp", "push", "origin", "e61", "--no-cache", cwd=root)
        run("exp", "run", "-q", "-f", "-S", "train.n_est=65", "-n", "e61", cwd=root)
        git(root, "checkout", "-q", "--", ".")
    ours = dvcdoit("exp", "push", "origin", "e61", "--no-cache", cwd=mine)
    ref = dvc("exp", "push", "origin", "e61", "--no-cache", cwd=theirs)
    assert (ours.stdout, ours.stderr) == (ref.stdout, ref.stderr)
    assert ours.stderr.startswith("Local experiment e61 has diverged from remote experiment")
    origin = mine.parent / "repo-origin.git"
    local = git(mine, "rev-parse", exp_ref(head, "e61"))
    assert git(origin, "rev-parse", exp_ref(head, "e61")) != local
    assert dvcdoit("exp", "push", "-f", "origin", "e61", cwd=mine).stdout.startswith(
        "Pushed experiment e61 to Git remote 'origin'.\n")
    assert git(origin, "rev-parse", exp_ref(head, "e61")) == local


def test_dvc_pulls_what_dvcdoit_pushed(twins: tuple[Path, Path, str], dvcdoit: Runner,
                                       dvc: Runner) -> None:
    mine, _, head = twins
    dvcdoit("exp", "push", "origin", "e61", "e62", cwd=mine)
    clone = mine.parent / "clone"
    subprocess.run(["git", "clone", "-q", str(mine.parent / "repo-origin.git"), str(clone)],
                   check=True)
    out = dvc("exp", "pull", "origin", "e62", cwd=clone)
    assert out.stdout == "Pulled experiment '['e62']' from Git remote 'origin'.\n"
    assert dvc("exp", "pull", "origin", "e62", cwd=clone).stdout == "No experiments to pull.\n"
    dvc("exp", "apply", "e62", cwd=clone)
    assert dvc("status", cwd=clone).stdout == "Data and pipelines are up to date.\n"
    lock = yaml.safe_load(git(mine, "show", f"{exp_ref(head, 'e62')}:dvc.lock"))
    want = next(o["md5"] for o in lock["stages"]["train"]["outs"] if o["path"] == "model.pkl")
    assert hashlib.md5((clone / "model.pkl").read_bytes()).hexdigest() == want


def test_dvcdoit_pulls_what_dvc_pushed(twins: tuple[Path, Path, str], dvcdoit: Runner,
                                       dvc: Runner) -> None:
    _, theirs, head = twins
    dvc("exp", "push", "origin", "e61", cwd=theirs)
    clone = theirs.parent / "clone2"
    subprocess.run(["git", "clone", "-q", str(theirs.parent / "other-origin.git"), str(clone)],
                   check=True)
    dvcdoit("remote", "modify", "--local", "store", "url", str(theirs.parent / "other-store"),
            cwd=clone)
    out = dvcdoit("exp", "pull", "origin", cwd=clone)
    assert out.stdout == "Pulled experiment '['e61']' from Git remote 'origin'.\n"
    assert dvcdoit("exp", "pull", "origin", "e61", cwd=clone).stdout == \
        "No experiments to pull.\n"
    sha = git(clone, "rev-parse", exp_ref(head, "e61"))
    assert sha == git(theirs, "rev-parse", exp_ref(head, "e61"))
    # NOTE: the experiment's outputs came into the cache: its commit checks out offline
    git(clone, "checkout", "-q", sha)
    shutil.rmtree(theirs.parent / "other-store")
    dvcdoit("checkout", cwd=clone)
    assert dvcdoit("status", cwd=clone).stdout == "Data and pipelines are up to date.\n"
    nocache = dvcdoit("exp", "pull", "origin", "e61", "--no-cache", cwd=clone)
    assert nocache.stdout == "No experiments to pull.\nTo pull cached outputs for this " \
        "experimentfrom DVC remote storage,re-run this command without '--no-cache'.\n"
