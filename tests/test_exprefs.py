"""The experiment refs DVC 3 writes, parsed and named (repo/exprefs.py)."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest

from dvcdoit.repo.exprefs import ExperimentError, ExpRef, check_name, exp_refs, new_name

BASE = "822183d0eb0bf4f0515fc80e46dc117f9831c826"


def test_ref_layout_is_dvcs() -> None:
    exp = ExpRef(BASE, "dated-bids")
    assert exp.ref == "refs/exps/82/2183d0eb0bf4f0515fc80e46dc117f9831c826/dated-bids"
    assert ExpRef.parse(exp.ref) == exp


@pytest.mark.parametrize("ref", ["refs/exps/exec/EXEC_HEAD", "refs/exps/celery/stash",
                                 "refs/exps/stash", "refs/exps/82/2183/short",
                                 "refs/heads/master"])
def test_bookkeeping_refs_are_not_experiments(ref: str) -> None:
    assert ExpRef.parse(ref) is None


@pytest.mark.parametrize("name", ["", "a b", "a..b", "x.lock", "-x", "a/b", "a:b", "@"])
def test_names_git_refuses(name: str) -> None:
    with pytest.raises(ExperimentError) as err:
        check_name(name)
    assert str(err.value) == (f"Invalid exp name {name}, the exp name must follow rules in "
                              "https://git-scm.com/docs/git-check-ref-format")


def test_new_name_is_adjective_noun_and_fresh() -> None:
    rng = random.Random(1)
    first = new_name((), rng)
    adjective, noun = first.split("-")
    assert adjective.isalpha() and noun.isalpha()
    assert new_name([first], random.Random(1)) != first


def test_exp_refs_lists_only_experiments(tmp_path: Path) -> None:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(tmp_path), *args], check=True,
                              capture_output=True, text=True).stdout.strip()
    git("init", "-q")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "b")
    head = git("rev-parse", "HEAD")
    exp = ExpRef(head, "my-exp")
    git("update-ref", exp.ref, head)
    git("update-ref", "refs/exps/exec/EXEC_HEAD", head)
    assert exp_refs(tmp_path) == [(exp, head)]
