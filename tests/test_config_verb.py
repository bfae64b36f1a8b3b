"""``dvcdoit config`` against real ``dvc config``: the same files, bytes and printed lines."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import Runner

STEPS: list[tuple[str, ...]] = [
    ("core.remote", "myr"),
    ("core.autostage", "true"),
    ("cache.type", "reflink,copy"),
    ("core.checksum_jobs", "04"),
    ("core.remote", "MyR"),
    ("core.remote",),
    ("-l",),
    ("-l", "--show-origin"),
    ("--show-origin", "core.remote"),
    ("core.nokey",),
    ("nosect.nokey",),
    ("-u", "core.autostage"),
    ("--local", "core.remote", "other"),
    ("core.remote",),
    ("--project", "core.remote"),
    ("-l", "--local"),
    ("remote.myr.url", "s3://b/p"),
    ("remote.nope.url", "/x"),
    ("remote.nope.jobs", "3"),
    ("db.d.url", "x"),
    ("-u", "core.remote", "--local"),
    ("-l",),
]


@pytest.mark.interop
def test_the_same_files_and_lines_as_dvc(git_repo: Path, tmp_path: Path, dvc: Runner,
                                         dvcdoit: Runner) -> None:
    dvc("init", "-q")
    theirs = tmp_path / "theirs"
    shutil.copytree(git_repo, theirs)
    for step in STEPS:
        ours = dvcdoit("config", *step)
        real = dvc("config", *step, cwd=theirs)
        assert ours.stdout == real.stdout, step
        for name in ("config", "config.local"):
            mine, other = git_repo / ".dvc" / name, theirs / ".dvc" / name
            assert mine.exists() == other.exists(), (step, name)
            if mine.exists():
                assert mine.read_bytes() == other.read_bytes(), (step, name)


@pytest.mark.interop
@pytest.mark.parametrize("step", [
    ("core.bogus", "1"), ("bogus.x", "1"), ("core.autostage", "yes"),
    ("core.checksum_jobs", "0"), ("-u", "core.autostage"), ("--project", "core.nokey"),
    ("remote.myr.bogus", "1"), ("remote.nope.region", "x"), ("cache.type", "teleport"),
])
def test_refusals_use_dvc_words_and_change_nothing(git_repo: Path, tmp_path: Path, dvc: Runner,
                                                   dvcdoit: Runner, step: tuple[str, ...]) -> None:
    dvc("init", "-q")
    dvc("config", "remote.myr.url", "s3://b/p")
    theirs = tmp_path / "theirs"
    shutil.copytree(git_repo, theirs)
    before = (git_repo / ".dvc" / "config").read_bytes()
    ours = dvcdoit("config", *step, check=False)
    real = dvc("config", *step, cwd=theirs, check=False)
    assert real.returncode != 0 and ours.returncode == 3
    dvc_line = real.stderr.strip().splitlines()[-1]
    assert ours.stderr.startswith(dvc_line), (ours.stderr, dvc_line)
    assert ours.stderr.count("\n") == 1 and ours.stdout == ""
    assert (git_repo / ".dvc" / "config").read_bytes() == before


def test_usage_errors(git_repo: Path, dvcdoit: Runner) -> None:
    dvcdoit("init")
    for step, message in [
        (("-l", "core.remote"), ("ERROR: -l/--list can't be used together with any of these "
                                 "options: -u/--unset, name, value\n")),
        ((), "ERROR: name argument is required\n"),
        (("--show-origin", "-u", "core.remote"), ("ERROR: --show-origin can't be used together "
                                                  "with any of these options: -u/--unset, value\n")),
        (("core",), ("ERROR: name argument should look like remote.name.option or "
                     "db.name.option or section.option\n")),
    ]:
        proc = dvcdoit("config", *step, check=False)
        assert (proc.returncode, proc.stderr) == ((3 if step == ("core",) else 1), message), step


def test_every_verb_refuses_an_unknown_key_the_same_way(git_repo: Path, dvcdoit: Runner) -> None:
    dvcdoit("init")
    (git_repo / ".dvc" / "config").write_text("[core]\n    bogus = 1\n")
    expected = ("ERROR: configuration error - config file error: extra keys not allowed @ "
                f"data['core']['bogus'] (in {git_repo}/.dvc/config; remove 'bogus' or fix its "
                "name)\n")
    for verb in (("status",), ("push",), ("checkout",), ("repro",), ("remote", "list"),
                 ("config", "core.remote", "x")):
        proc = dvcdoit(*verb, check=False)
        assert (proc.returncode, proc.stderr) == (3, expected), verb
