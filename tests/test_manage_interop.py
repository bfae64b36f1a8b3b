"""remove/rm, freeze/unfreeze, unprotect: the same steps with real DVC 3.67.1 and dvcdoit on
twin repos; the files left (dvc.yaml, dvc.lock, .dvc, .gitignore, the workspace) and the
printed text must be the same, and DVC's own ``status`` must read dvcdoit's result."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import DVC_ENV, Runner, _find_dvc

PIPELINE = """\
stages:
  prep:
    cmd: cp a.txt b.txt
    deps:
    - a.txt
    outs:
    - b.txt
  train:
    cmd: cp b.txt c.txt && cp a.txt m.json
    deps:
    - b.txt
    outs:
    - c.txt
    metrics:
    - m.json:
        cache: false
"""


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False,
                          env={**os.environ, **DVC_ENV})


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repo made by real DVC: a.txt and d/ added, a two-stage pipeline run, all committed."""
    exe = _find_dvc()
    if exe is None:
        pytest.skip("real dvc 3.67.1 not installed (set DVCDOIT_DVC_BIN)")
    root = tmp_path_factory.mktemp("manage") / "template"
    root.mkdir()
    (root / "a.txt").write_text("hello\n")
    (root / "d").mkdir()
    (root / "d" / "x").write_text("x\n")
    (root / "d" / "y").write_text("y\n")
    (root / "dvc.yaml").write_text(PIPELINE)
    for cmd in (["git", "init", "-q"], [exe, "init", "-q"], [exe, "add", "-q", "a.txt", "d"],
                [exe, "repro", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "s"]):
        assert _run(cmd, root).returncode == 0, cmd
    return root


def _twins(template: Path, tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "with-dvc", tmp_path / "with-dvcdoit"
    shutil.copytree(template, a, symlinks=True)
    shutil.copytree(template, b, symlinks=True)
    return a, b


def _tree(root: Path) -> dict[str, bytes]:
    """Every file outside .git/ and .dvc/, with its bytes."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if rel.split("/")[0] in (".git", ".dvc") or not p.is_file():
            continue
        out[rel] = p.read_bytes()
    return out


def _same(template: Path, tmp_path: Path, dvc: Runner, dvcdoit: Runner,
          *args: str) -> tuple[Path, Path]:
    a, b = _twins(template, tmp_path)
    ref = dvc(*args, check=False, cwd=a)
    got = dvcdoit(*args, check=False, cwd=b)
    assert got.stdout == ref.stdout
    ref_err = ref.stderr.replace(str(a), "REPO")
    assert got.stderr.replace(str(b), "REPO") == ref_err
    assert (got.returncode == 0) == (ref.returncode == 0)
    if ref.returncode:
        assert got.returncode == 3
    assert _tree(b) == _tree(a)
    return a, b


@pytest.mark.parametrize("args", [
    ("remove", "prep"),
    ("remove", "--outs", "prep"),
    ("rm", "a.txt.dvc"),
    ("remove", "--outs", "d.dvc", "train"),
    ("remove", "prep", "train"),
    ("remove", "dvc.yaml"),
    ("remove", "dvc.yaml:train"),
    ("freeze", "prep", "a.txt.dvc"),
    ("unfreeze", "prep"),
    ("unprotect", "a.txt", "d"),
])
def test_verb_leaves_what_dvc_leaves(template: Path, tmp_path: Path, dvc: Runner,
                                     dvcdoit: Runner, args: tuple[str, ...]) -> None:
    _a, b = _same(template, tmp_path, dvc, dvcdoit, *args)
    assert dvc("status", "-q", check=False, cwd=b).returncode in (0, 1)
    if args[-1] != "prep" or args[0] != "remove" or "--outs" not in args:
        assert dvc("status", cwd=b).stdout.endswith("Data and pipelines are up to date.\n")


@pytest.mark.parametrize(("args", "message"), [
    (("remove", "nosuch"), "Stage 'nosuch' not found inside 'dvc.yaml' file"),
    (("remove", "a.txt"), ("'a.txt' is not a .dvc file. Do you mean 'a.txt.dvc'?: "
                          "Stage 'a.txt' not found inside 'dvc.yaml' file")),
    (("remove", "b.txt"), "Stage 'b.txt' not found inside 'dvc.yaml' file"),
    (("remove", "x.dvc"), "'REPO/x.dvc' does not exist"),
    (("remove", "sub/dvc.yaml:prep"), "'REPO/sub/dvc.yaml' does not exist"),
    (("freeze", "nosuch"), ("failed to freeze 'nosuch' - "
                           "Stage 'nosuch' not found inside 'dvc.yaml' file")),
    (("unfreeze", "a.txt"), ("failed to unfreeze 'a.txt' - "
                            "Stage 'a.txt' not found inside 'dvc.yaml' file")),
])
def test_bad_target_is_dvcs_line(template: Path, tmp_path: Path, dvc: Runner,
                                 dvcdoit: Runner, args: tuple[str, ...], message: str) -> None:
    _a, b = _same(template, tmp_path, dvc, dvcdoit, *args)
    assert dvcdoit(*args, check=False, cwd=b).stderr.replace(str(b), "REPO") == \
        f"ERROR: {message}\n"


def test_a_bad_target_removes_nothing(template: Path, tmp_path: Path, dvcdoit: Runner) -> None:
    """DVC removes 'prep' before it fails on 'nosuch'; dvcdoit checks every target first."""
    _a, b = _twins(template, tmp_path)
    before = _tree(b)
    proc = dvcdoit("remove", "prep", "nosuch", check=False, cwd=b)
    assert proc.returncode == 3
    assert proc.stderr == "ERROR: Stage 'nosuch' not found inside 'dvc.yaml' file\n"
    assert _tree(b) == before


def test_unprotect_symlink_keeps_the_cache_object(template: Path, tmp_path: Path,
                                                  dvc: Runner, dvcdoit: Runner) -> None:
    _a, b = _twins(template, tmp_path)
    dvc("config", "cache.type", "symlink", cwd=b)
    dvc("checkout", "--relink", "a.txt.dvc", cwd=b)
    assert (b / "a.txt").is_symlink()
    obj = Path(os.path.realpath(b / "a.txt"))
    dvcdoit("unprotect", "a.txt", cwd=b)
    assert not (b / "a.txt").is_symlink()
    assert os.access(b / "a.txt", os.W_OK)
    assert (b / "a.txt").read_text() == "hello\n"
    assert obj.read_text() == "hello\n"
    assert (obj.stat().st_mode & 0o777) == 0o444


def _hint_files(text: str) -> tuple[str, set[str]]:
    """DVC's ``git add`` hint with its file list as a set (DVC lists a Python set: any order)."""
    lines = text.splitlines()
    files = set()
    for i, line in enumerate(lines):
        if line.startswith("\tgit add "):
            files = set(line.split()[2:])
            lines[i] = "\tgit add FILES"
    return "\n".join(lines).replace("\tdvc config", "\tdvcdoit config"), files


@pytest.mark.parametrize(("setup", "args"), [
    ("sub", ("move", "a.txt", "sub")),
    ("", ("mv", "d", "e")),
    ("w/v", ("move", "a.txt", "w/v/k.txt")),
])
def test_move_leaves_what_dvc_leaves(template: Path, tmp_path: Path, dvc: Runner,
                                     dvcdoit: Runner, setup: str,
                                     args: tuple[str, ...]) -> None:
    a, b = _twins(template, tmp_path)
    if setup:
        (a / setup).mkdir(parents=True)
        (b / setup).mkdir(parents=True)
    ref = dvc(*args, cwd=a)
    got = dvcdoit(*args, cwd=b)
    assert _hint_files(got.stdout) == _hint_files(ref.stdout)
    assert _tree(b) == _tree(a)
    assert dvc("status", cwd=b).stdout == dvc("status", cwd=a).stdout


@pytest.mark.parametrize(("args", "message"), [
    (("move", "b.txt", "z.txt"), (
        "failed to move 'b.txt' -> 'z.txt' - move is not permitted for stages that are not "
        "data sources. You need to either move 'prep' to a new location and edit it by hand, "
        "or remove 'prep' and create a new one at the desired location.")),
    (("move", "d", "c.txt"), (
        "failed to move 'd' -> 'c.txt' - output 'c.txt' is already specified in stage: "
        "'train'.\nUse `dvcdoit remove train` to stop tracking the overlapping output.")),
    (("move", "d.dvc", "q.dvc"), ("failed to move 'd.dvc' -> 'q.dvc' - DVC file 'd.dvc' "
                                 "cannot be an output.")),
    (("move", "nosuch", "q"), ("failed to move 'nosuch' -> 'q' - Unable to find DVC file "
                              "with output 'nosuch'")),
])
def test_move_refusals_are_dvcs(template: Path, tmp_path: Path, dvc: Runner, dvcdoit: Runner,
                                args: tuple[str, ...], message: str) -> None:
    a, b = _twins(template, tmp_path)
    ref = dvc(*args, check=False, cwd=a)
    got = dvcdoit(*args, check=False, cwd=b)
    assert ref.stderr.replace("`dvc ", "`dvcdoit ") == f"ERROR: {message}\n"
    assert got.stderr == f"ERROR: {message}\n"
    assert got.returncode == 3
    assert _tree(b) == _tree(a) == _tree(template)


def test_checkout_relink_as_dvc(template: Path, tmp_path: Path, dvc: Runner,
                                dvcdoit: Runner) -> None:
    """``checkout --relink`` after ``cache.type symlink``: links everywhere, DVC's line."""
    a, b = _twins(template, tmp_path)
    for root in (a, b):
        dvc("config", "cache.type", "symlink", cwd=root)
    ref = dvc("checkout", "--relink", cwd=a)
    got = dvcdoit("checkout", "--relink", cwd=b)
    assert got.stdout == ref.stdout == "Relinked successfully\n"
    for rel in ("a.txt", "d/x", "b.txt", "c.txt"):
        assert (b / rel).is_symlink() == (a / rel).is_symlink(), rel
    assert _tree(b) == _tree(a)
    assert dvc("status", cwd=b).stdout == "Data and pipelines are up to date.\n"


def test_status_of_frozen_stages_as_dvc(template: Path, tmp_path: Path, dvc: Runner,
                                        dvcdoit: Runner) -> None:
    """DVC's frozen warnings (stderr, its walk order) and a frozen stage's deps not shown."""
    a, b = _twins(template, tmp_path)
    dvc("freeze", "train", "prep", "d.dvc", "a.txt.dvc", cwd=a)
    dvcdoit("freeze", "train", "prep", "d.dvc", "a.txt.dvc", cwd=b)
    assert _tree(b) == _tree(a)
    for root in (a, b):
        (root / "a.txt").write_text("changed\n")
    for args in (("status",), ("status", "train"), ("status", "-q")):
        ref = dvc(*args, check=False, cwd=a)
        got = dvcdoit(*args, check=False, cwd=b)
        assert (got.stdout, got.stderr) == (ref.stdout, ref.stderr), args
