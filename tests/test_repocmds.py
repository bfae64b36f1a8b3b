"""The repo verbs against real DVC 3.67.1: install (and the hooks running under real git),
check-ignore, version/doctor, destroy, cache dir, remote rename (docs/housekeeping.md).

Each interop test runs DVC and dvcdoit on twin repos (or the same one, for read-only verbs)
and compares the printed text and the bytes of every file written. DVC exits 251 for a
config error where dvcdoit exits 3 (its code for every user error); that is pinned too.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from dvcdoit import __version__
from dvcdoit.verbs.hooks import owner
from tests.conftest import DVC_ENV, Runner, write_tree

pytestmark = pytest.mark.interop

HOOKS = ("post-checkout", "pre-commit", "pre-push")
SRC = str(Path(__file__).resolve().parents[1])  # NOTE: the checkout, for ``python -m dvcdoit``


@pytest.fixture(autouse=True)
def _own_config_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never read or write the machine's global and system DVC config."""
    monkeypatch.setenv("DVC_GLOBAL_CONFIG_DIR", str(tmp_path / "global"))
    monkeypatch.setenv("DVC_SYSTEM_CONFIG_DIR", str(tmp_path / "system"))


def _twin(git_repo: Path, tmp_path: Path, dvc: Runner) -> Path:
    """``git_repo`` initialised by DVC, and a separate twin of it for DVC to act on."""
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=theirs, check=True)
    dvc("init", "-q")
    dvc("init", "-q", cwd=theirs)
    return theirs


# --- install -----------------------------------------------------------------------------

def test_install_writes_dvcs_hook_bytes_and_modes(git_repo: Path, tmp_path: Path, dvc: Runner,
                                                  dvcdoit: Runner) -> None:
    theirs = _twin(git_repo, tmp_path, dvc)
    git_config = (git_repo / ".git" / "config").read_bytes()
    ours = dvcdoit("install")
    real = dvc("install", cwd=theirs)
    assert (ours.stdout, ours.stderr) == (real.stdout, real.stderr) == ("", "")
    for name in HOOKS:
        mine, other = git_repo / ".git/hooks" / name, theirs / ".git/hooks" / name
        assert mine.read_bytes() == other.read_bytes().replace(b"exec dvc ", b"exec dvcdoit ")
        assert stat.S_IMODE(mine.stat().st_mode) == stat.S_IMODE(other.stat().st_mode) == 0o777
    # NOTE: DVC also registers its merge driver; dvcdoit has none and leaves .git/config alone
    assert b'[merge "dvc"]' in (theirs / ".git" / "config").read_bytes()
    assert (git_repo / ".git" / "config").read_bytes() == git_config


def test_install_refuses_existing_hooks_in_dvcs_words(git_repo: Path, dvc: Runner,
                                                      dvcdoit: Runner) -> None:
    dvc("init", "-q")
    dvc("install")
    before = {n: (git_repo / ".git/hooks" / n).read_bytes() for n in HOOKS}
    again = dvc("install", check=False)
    ours = dvcdoit("install", check=False)
    line = ("ERROR: failed to install DVC Git hooks - Hook 'post-checkout' already exists. "
            "Please refer to <https://man.dvc.org/install> for more info.\n")
    assert (again.returncode, again.stderr) == (ours.returncode, ours.stderr) == (1, line)
    assert {n: (git_repo / ".git/hooks" / n).read_bytes() for n in HOOKS} == before
    assert owner(git_repo / ".git/hooks/pre-push") == "dvc"
    for name in HOOKS:  # and the other way round: DVC refuses dvcdoit's hooks
        (git_repo / ".git/hooks" / name).unlink()
    dvcdoit("install")
    refused = dvc("install", check=False)
    assert (refused.returncode, refused.stderr) == (1, line)
    assert owner(git_repo / ".git/hooks/pre-commit") == "dvcdoit"


def test_install_does_nothing_without_git(git_repo: Path, dvc: Runner, dvcdoit: Runner) -> None:
    dvc("init", "-q")
    dvc("config", "core.no_scm", "true")
    assert (dvcdoit("install").stdout, dvc("install").stdout) == ("", "")
    assert not any(p.name in HOOKS for p in (git_repo / ".git/hooks").iterdir())


def test_install_with_pre_commit_tool_adds_a_local_entry(git_repo: Path, dvcdoit: Runner) -> None:
    dvcdoit("init")
    (git_repo / ".pre-commit-config.yaml").write_text(
        "repos:\n- repo: https://github.com/pre-commit/pre-commit-hooks\n  rev: v4.0.0\n"
        "  hooks:\n  - id: check-yaml\n")
    dvcdoit("install", "--use-pre-commit-tool")
    dvcdoit("install", "--use-pre-commit-tool")  # NOTE: twice adds it once, as DVC
    text = (git_repo / ".pre-commit-config.yaml").read_text()
    assert text.count("repo: local") == 1
    assert "check-yaml" in text
    assert "entry: dvcdoit git-hook pre-push" in text
    assert not (git_repo / ".git/hooks/pre-commit").exists()


def _shim(tmp_path: Path) -> dict[str, str]:
    """An environment whose ``dvcdoit`` on PATH runs this checkout, for the hooks git runs."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "dvcdoit"
    exe.write_text(f'#!/bin/sh\nexec {sys.executable} -m dvcdoit "$@"\n')
    exe.chmod(0o755)
    return {**os.environ, **DVC_ENV, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}",
            "PYTHONPATH": SRC}


def _git(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], env=env, capture_output=True, text=True, check=True)


def test_hooks_run_on_real_git_commit_checkout_and_push(git_repo: Path, tmp_path: Path,
                                                        dvcdoit: Runner) -> None:
    env = _shim(tmp_path)
    dvcdoit("init", "-q")
    dvcdoit("remote", "add", "-d", "store", str(tmp_path / "store"))
    write_tree(git_repo, {"data.txt": "one\n"})
    dvcdoit("add", "-q", "data.txt")
    dvcdoit("install")
    _git(env, "add", "-A")
    _git(env, "commit", "-qm", "one")
    _git(env, "branch", "first")
    (git_repo / "data.txt").unlink()
    write_tree(git_repo, {"data.txt": "two\n"})
    committed = _git(env, "commit", "--allow-empty", "-qm", "data changed")  # pre-commit: status
    assert "data.txt.dvc:\n\tchanged outs:\n\t\tmodified:           data.txt" in committed.stderr
    dvcdoit("add", "-q", "data.txt")
    _git(env, "commit", "-qam", "two")
    _git(env, "checkout", "-q", "first")  # post-checkout: checkout
    assert (git_repo / "data.txt").read_text() == "one\n"
    _git(env, "checkout", "-q", "-")
    assert (git_repo / "data.txt").read_text() == "two\n"
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    assert not (tmp_path / "store").exists()
    _git(env, "push", "-q", str(bare), "HEAD:main")  # pre-push: push
    stored = sorted(p.name for p in (tmp_path / "store").rglob("*") if p.is_file())
    assert len(stored) == 1


# --- check-ignore ------------------------------------------------------------------------

IGNORE_TREE = {
    ".dvcignore": "foo\nf*\n*.log\n!keep.log\ndir/\n!dir/y\nsub/x/\n",
    "sub/.dvcignore": "sub\n!z\n",
    "foo": "", "a.log": "", "keep.log": "", "b": "", "dir/x": "", "sub/x/q": "", "sub/y/z": "",
}
TARGETS = ("foo", "fx", "a.log", "keep.log", "b", "dir", "dir/", "dir/x", "dir/y", "sub/sub",
           "sub/x", "sub/x/q", "sub/y/z", "sub/z", ".git", ".dvc", ".dvc/config", "./foo",
           "../x", ".", "sub", "nothere.log")


def test_check_ignore_prints_and_exits_as_dvc(git_repo: Path, dvc: Runner, dvcdoit: Runner) -> None:
    dvc("init", "-q")
    write_tree(git_repo, IGNORE_TREE)
    calls = [(*flags, *TARGETS, str(git_repo / "foo"))
             for flags in ((), ("-d",), ("-d", "-n"), ("-d", "-a", "-n"))]
    calls += [(flag, "foo") for flag in ("-n", "-a", "-q")] + [("-q", "-d", "foo")]
    calls += [(target,) for target in ("foo", "keep.log", "b")]  # NOTE: exit codes of one
    calls += [("-d", "keep.log"), ("-d", "-n", "b")]
    for args in calls:
        real = dvc("check-ignore", *args, check=False)
        ours = dvcdoit("check-ignore", *args, check=False)
        assert (ours.returncode, ours.stdout, ours.stderr) == \
            (real.returncode, real.stdout, real.stderr), args


def test_check_ignore_from_a_subdirectory_and_bad_arguments(git_repo: Path, dvc: Runner,
                                                            dvcdoit: Runner) -> None:
    dvc("init", "-q")
    write_tree(git_repo, IGNORE_TREE)
    for args in (("-d", "sub", "../foo", "z"), (), ("--stdin", "foo"), ("-n", "foo")):
        real = dvc("check-ignore", *args, check=False, cwd=git_repo / "sub")
        ours = dvcdoit("check-ignore", *args, check=False, cwd=git_repo / "sub")
        assert (ours.returncode, ours.stdout, ours.stderr) == \
            (real.returncode, real.stdout, real.stderr), args


@pytest.mark.parametrize("flags", [(), ("-d", "-n")])
def test_check_ignore_stdin_stops_at_an_empty_line(git_repo: Path, dvc: Runner, dvcdoit: Runner,
                                                   flags: tuple[str, ...]) -> None:
    dvc("init", "-q")
    write_tree(git_repo, IGNORE_TREE)
    lines = "foo\nb\na.log\n\nkeep.log\n"
    env = {**os.environ, **DVC_ENV, "PYTHONPATH": SRC}
    exe = os.environ.get("DVCDOIT_DVC_BIN") or "dvc"
    real = subprocess.run([exe, "check-ignore", "--stdin", *flags], input=lines, env=env,
                          capture_output=True, text=True, check=False)
    ours = subprocess.run([sys.executable, "-m", "dvcdoit", "check-ignore", "--stdin", *flags],
                          input=lines, env=env, capture_output=True, text=True, check=False)
    assert (ours.returncode, ours.stdout) == (real.returncode, real.stdout)


# --- version / doctor --------------------------------------------------------------------

def _block(text: str, key: str) -> str:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(key))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith("\t")),
               len(lines))
    return "\n".join(lines[start:end])


def test_doctor_has_dvcs_layout_and_finds_the_same_links(git_repo: Path, dvc: Runner,
                                                         dvcdoit: Runner) -> None:
    outside = dvcdoit("doctor", cwd=git_repo.parent).stdout
    real_outside = dvc("doctor", cwd=git_repo.parent).stdout
    assert outside.splitlines()[0] == f"dvcdoit version: {__version__}"
    assert outside.splitlines()[1] == "-" * len(outside.splitlines()[0])
    for key in ("Platform:", "Config:"):
        assert _block(outside, key) == _block(real_outside, key)
    assert "\thttp (urllib3 = " in _block(outside, "Supports:")
    dvc("init", "-q")
    dvc("remote", "add", "-d", "a", "/tmp/x")
    dvc("remote", "add", "s", "s3://b/p")
    ours, real = dvcdoit("doctor").stdout, dvc("doctor").stdout
    assert "Cache types: <https://error.dvc.org/no-dvc-cache>" in ours.splitlines()
    write_tree(git_repo, {"f": "a\n"})
    dvc("add", "-q", "f")
    ours, real = dvcdoit("version").stdout, dvc("version").stdout
    for key in ("Cache types:", "Cache directory:", "Caches:", "Remotes:", "Workspace directory:",
                "Repo:"):
        assert _block(ours, key) == _block(real, key), key
    assert f"Repo.cache_dir: {git_repo / '.dvc' / 'cache'}" in ours.splitlines()


# --- destroy -----------------------------------------------------------------------------

def _build(root: Path, tool: Runner, link: str) -> None:
    """The same repo, made by ``tool`` (DVC, or dvcdoit: faster, and it writes DVC's files)."""
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    tool("init", "-q", cwd=root)
    tool("config", "cache.type", link, cwd=root)
    write_tree(root, {"d/f": "a\n", "g": "b\n", "keep": "c\n", "sub/.dvcignore": "x\n",
                      "p/dvc.yaml": "plots:\n- x.csv\n"})  # NOTE: no stages: DVC keeps it
    tool("add", "-q", "d", "g", cwd=root)
    tool("stage", "add", "-q", "-n", "s", "-d", "g", "-o", "out", "cp g out", cwd=root)
    tool("repro", "-q", cwd=root)


def _tree(root: Path) -> list[tuple[str, bool, int, int]]:
    return sorted((p.relative_to(root).as_posix(), p.is_symlink(), stat.S_IMODE(p.lstat().st_mode),
                   p.lstat().st_nlink if p.is_file() else 0)
                  for p in root.rglob("*") if ".git" not in p.relative_to(root).parts)


def test_destroy_leaves_what_dvc_leaves(tmp_path: Path, dvc: Runner, dvcdoit: Runner,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Symlinked outputs become copies (hardlinked ones too: measured by hand, same tree)."""
    link = "symlink"
    for k, v in DVC_ENV.items():
        monkeypatch.setenv(k, v)
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    _build(ours, dvcdoit, link)
    _build(theirs, dvc, link)
    assert (ours / "out").is_symlink()
    dvc("destroy", "-f", cwd=theirs)
    result = dvcdoit("destroy", "-f", cwd=ours)
    assert (result.stdout, result.stderr) == ("", "")
    assert _tree(ours) == _tree(theirs)
    assert (ours / "out").read_text() == "b\n"
    assert (ours / ".gitignore").read_text() == "/d\n/g\n/out\n"


def test_destroy_without_a_yes_refuses_in_dvcs_words(tmp_path: Path, dvc: Runner,
                                                      dvcdoit: Runner,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in DVC_ENV.items():
        monkeypatch.setenv(k, v)
    repo = tmp_path / "r"
    _build(repo, dvcdoit, "copy")
    env = {**os.environ, **DVC_ENV, "PYTHONPATH": SRC}
    exe = os.environ.get("DVCDOIT_DVC_BIN") or "dvc"
    for answer in ("", "n\n", "maybe\n"):
        real = subprocess.run([exe, "destroy"], input=answer, cwd=repo, env=env,
                              capture_output=True, text=True, check=False)
        ours = subprocess.run([sys.executable, "-m", "dvcdoit", "destroy"], input=answer,
                              cwd=repo, env=env, capture_output=True, text=True, check=False)
        assert (ours.returncode, ours.stdout, ours.stderr) == \
            (real.returncode, real.stdout, real.stderr), answer
    assert (repo / ".dvc" / "config").exists()
    ours = subprocess.run([sys.executable, "-m", "dvcdoit", "destroy"], input="y\n", cwd=repo,
                          env=env, capture_output=True, text=True, check=False)
    assert ours.returncode == 0
    assert not (repo / ".dvc").exists()


# --- cache dir, remote rename ------------------------------------------------------------

CACHE_DIR_STEPS: list[tuple[str, ...]] = [
    (), ("../c1",), ("--local", "/tmp/abs"), ("--local",), ("-u",), ("-u",), ("--local", "-u"),
    ("--project",), ("--project", "~/foo"), ("-u", "x"), ("--local", "../rel"), ("--local",), (),
]
RENAME_STEPS: list[tuple[str, ...]] = [
    ("add", "-d", "a", "/tmp/x"), ("add", "b", "/tmp/y"), ("modify", "a", "jobs", "3"),
    ("rename", "a", "c"), ("rename", "c", "b"), ("rename", "B", "z"),
    ("add", "--local", "l", "/tmp/l"), ("rename", "l", "b"), ("rename", "nope", "q"),
    ("rename", "--local", "l", "m"), ("rename", "c", "q"), ("list",),
]


def _same_step(ours: subprocess.CompletedProcess[str], real: subprocess.CompletedProcess[str],
               git_repo: Path, theirs: Path, step: tuple[str, ...]) -> None:
    mine_out = ours.stdout.replace(str(git_repo), "<repo>")
    assert mine_out == real.stdout.replace(str(theirs), "<repo>"), step
    assert ours.stderr == real.stderr, step
    assert ours.returncode == {251: 3}.get(real.returncode, real.returncode), step
    for name in ("config", "config.local"):
        mine, other = git_repo / ".dvc" / name, theirs / ".dvc" / name
        assert mine.exists() == other.exists(), (step, name)
        if mine.exists():
            assert mine.read_bytes() == other.read_bytes(), (step, name)


def test_cache_dir_writes_and_prints_as_dvc(git_repo: Path, tmp_path: Path, dvc: Runner,
                                            dvcdoit: Runner) -> None:
    theirs = _twin(git_repo, tmp_path, dvc)
    (git_repo / "sub").mkdir()
    (theirs / "sub").mkdir()
    for step in CACHE_DIR_STEPS:
        ours = dvcdoit("cache", "dir", *step, check=False, cwd=git_repo / "sub")
        real = dvc("cache", "dir", *step, check=False, cwd=theirs / "sub")
        _same_step(ours, real, git_repo, theirs, step)


def test_remote_rename_writes_and_prints_as_dvc(git_repo: Path, tmp_path: Path, dvc: Runner,
                                                dvcdoit: Runner) -> None:
    theirs = _twin(git_repo, tmp_path, dvc)
    for step in RENAME_STEPS:
        ours = dvcdoit("remote", *step, check=False)
        real = dvc("remote", *step, check=False, cwd=theirs)
        _same_step(ours, real, git_repo, theirs, step)


# --- du ----------------------------------------------------------------------------------

def _rows(text: str) -> list[str]:
    """DVC's row order is its merged listing's, not sorted: compare the rows as a set."""
    return sorted(text.splitlines())


def test_du_rows_and_sizes_as_dvc(git_repo: Path, dvc: Runner, dvcdoit: Runner) -> None:
    dvc("init", "-q")
    write_tree(git_repo, {"zd/f": "aaaa", "zd/e/g": b"\0" * 1_500_000, "aa": b"\0" * 2048,
                          "top": "c", "params.yaml": "p: 1\n", "sub/deep/x": "q\n"})
    dvc("add", "-q", "zd", "aa")
    dvc("stage", "add", "-q", "-n", "s", "-d", "aa", "-o", "out", "cp aa out")
    dvc("repro", "-q")
    write_tree(git_repo, {"untracked": "u\n", "dig": "x\n"})
    with (git_repo / ".dvcignore").open("a") as f:
        f.write("dig\n")
    (git_repo / "emptyd").mkdir()
    cases = [(".",), (".", "zd"), ("-s", "."), (".", "zd/f"), (".", "sub/deep/")]
    for args in cases:
        assert _rows(dvcdoit("du", *args).stdout) == _rows(dvc("du", *args).stdout), args
    (git_repo / "out").unlink()
    shutil.rmtree(git_repo / "zd")  # NOTE: missing outputs count what their files record
    for args in [(".",), (".", "zd"), ("-s", ".", "zd")]:
        assert _rows(dvcdoit("du", *args).stdout) == _rows(dvc("du", *args).stdout), args
    assert dvcdoit("du", ".").stdout.splitlines()[-1] == "1.43M"
    missing = dvcdoit("du", ".", "nothere", check=False)
    assert (missing.returncode, missing.stderr) == (
        3, f"ERROR: 'nothere' is neither in the workspace nor tracked in '{git_repo}'\n")
