"""``data status``: DVC 3.67.1's sections, hints, ``--granular``, ``--json``,
``--unchanged``, ``--untracked-files`` and ``--not-in-remote`` on twin repos."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Runner, write_tree

pytestmark = pytest.mark.interop


def _normal(text: str) -> list[list[str]]:
    """Sections with their entry lines sorted (DVC lists them in a varying order), and
    DVC's command names in hints as dvcdoit's."""
    text = text.replace('"dvc ', '"dvcdoit ')
    blocks = []
    for block in text.split("\n\n"):
        lines = block.splitlines()
        head = [ln for ln in lines if not ln.startswith(" " * 8)]
        blocks.append(head + sorted(ln for ln in lines if ln.startswith(" " * 8)))
    return blocks


def _sorted_json(text: str) -> object:
    data = json.loads(text)
    for key, value in data.items():
        data[key] = ({k: sorted(map(str, v)) for k, v in value.items()}
                     if isinstance(value, dict) else sorted(value))
    return data


@pytest.fixture
def twins(dvcdoit: Runner, tmp_path: Path) -> tuple[Path, Path]:
    ours = tmp_path / "ours"
    ours.mkdir()
    subprocess.run(["git", "init", "-q", str(ours)], check=True)
    dvcdoit("init", "-q", cwd=ours)
    write_tree(ours, {"d/a": "a\n", "d/b": "b\n", "f.txt": "f\n"})
    dvcdoit("add", "-q", "d", "f.txt", cwd=ours)
    dvcdoit("remote", "add", "-q", "-d", "store", str(tmp_path / "store"), cwd=ours)
    dvcdoit("push", "-q", cwd=ours)
    subprocess.run(["git", "add", "-A"], cwd=ours, check=True)
    subprocess.run(["git", "commit", "-qm", "one"], cwd=ours, check=True)
    write_tree(ours, {"f.txt": "f2\n", "d/c": "c\n", "untracked.txt": "u\n", "g.txt": "g\n"})
    (ours / "d" / "b").unlink()
    dvcdoit("add", "-q", "g.txt", cwd=ours)
    theirs = tmp_path / "theirs"
    shutil.copytree(ours, theirs, symlinks=True)
    return ours, theirs


@pytest.mark.parametrize("flags", [(), ("--granular",), ("--unchanged",),
                                   ("--untracked-files",), ("--granular", "--unchanged"),
                                   ("--not-in-remote",), ("d",), ("--granular", "d")])
def test_text_is_dvcs(dvcdoit: Runner, dvc: Runner, twins: tuple[Path, Path],
                      flags: tuple[str, ...]) -> None:
    ours, theirs = twins
    res = dvcdoit("data", "status", *flags, cwd=ours)
    ref = dvc("data", "status", *flags, cwd=theirs)
    assert _normal(res.stdout) == _normal(ref.stdout)
    assert "DVC committed changes:" in res.stdout or "d" in flags
    assert res.returncode == ref.returncode == 0


def test_json_is_dvcs(dvcdoit: Runner, dvc: Runner, twins: tuple[Path, Path]) -> None:
    ours, theirs = twins
    flags = ("--json", "--granular", "--unchanged", "--untracked-files", "--not-in-remote")
    res = dvcdoit("data", "status", *flags, cwd=ours)
    ref = dvc("data", "status", *flags, cwd=theirs)
    assert list(json.loads(res.stdout)) == list(json.loads(ref.stdout))
    assert _sorted_json(res.stdout) == _sorted_json(ref.stdout)


def test_no_changes_in_an_empty_repo_is_dvcs(dvcdoit: Runner, dvc: Runner,
                                              tmp_path: Path) -> None:
    for name, tool in (("ours", dvcdoit), ("theirs", dvc)):
        repo = tmp_path / name
        repo.mkdir()
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        tool("init", "-q", cwd=repo)
    res = dvcdoit("data", "status", cwd=tmp_path / "ours")
    ref = dvc("data", "status", cwd=tmp_path / "theirs")
    assert res.stdout == ref.stdout == (
        "No changes in an empty git repo.\n"
        '(there are changes not tracked by dvc, use "git status" to see)\n')
