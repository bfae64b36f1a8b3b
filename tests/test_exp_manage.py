"""``exp list``, ``exp remove``, ``exp apply``, ``exp branch`` and ``exp diff`` against real DVC
3.67.1: each run on one twin of a repo by dvcdoit and on the other by dvc, the words and the
git refs and workspace they leave compared; experiments made by one tool, used by the other."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DVC_ENV, _find_dvc
from tests.exppipeline import make_pipeline

pytestmark = pytest.mark.interop

FILES = ("params.yaml", "dvc.lock", "eval.json", "model.pkl", "data/data.txt",
         "data/features/f.txt", "src/train.py")


def _proc(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False,
                          env={**os.environ, **DVC_ENV})


def _dvc_bin() -> str:
    exe = _find_dvc()
    if exe is None or not Path(exe).exists():
        if os.environ.get("DVCDOIT_REQUIRE_DVC") == "1":
            pytest.fail("real dvc 3.67.1 is required (set DVCDOIT_DVC_BIN)")
        pytest.skip("real dvc 3.67.1 not installed (set DVCDOIT_DVC_BIN)")
    return exe


def ours(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``dvcdoit ARGS`` in ``root``."""
    return _proc([sys.executable, "-m", "dvcdoit", *args], root)


def theirs(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``dvc ARGS`` in ``root``."""
    return _proc([_dvc_bin(), *args], root)


def git(root: Path, *args: str) -> str:
    """``git ARGS`` in ``root``; its stdout, stripped."""
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                          check=True).stdout.strip()


def _ok(proc: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert proc.returncode == 0, (proc.args, proc.stdout, proc.stderr)
    return proc


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Baseline ``c1`` with e1, e2, e3 (dvcdoit's runs), then ``c2`` (master) with e1 (dvc's
    run) and f1 (dvcdoit's); a clean workspace at ``c2``."""
    _dvc_bin()
    root = tmp_path_factory.mktemp("expmanage") / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "master")

    def run(*args: str) -> None:
        _ok(ours(root, *args))

    make_pipeline(root, run)
    for name, n_est in (("e1", 60), ("e2", 70), ("e3", 80)):
        run("exp", "run", "-q", "-S", f"train.n_est={n_est}", "-n", name)
    git(root, "checkout", "-q", "--", ".")
    run("checkout", "-q")
    (root / "data" / "data.txt").write_text("hello world foo bar\nmore\n")
    run("repro", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "second")
    _ok(theirs(root, "exp", "run", "-q", "-S", "train.n_est=91", "-n", "e1"))
    run("exp", "run", "-q", "-S", "train.n_est=90", "-n", "f1")
    git(root, "checkout", "-q", "--", ".")
    run("checkout", "-q")
    assert git(root, "status", "--porcelain") == ""
    return root


@pytest.fixture
def twins(template: Path, tmp_path: Path) -> tuple[Path, Path]:
    """Two copies of the template: (dvcdoit's, dvc's)."""
    mine, other = tmp_path / "ours", tmp_path / "theirs"
    shutil.copytree(template, mine, symlinks=True)
    shutil.copytree(template, other, symlinks=True)
    return mine, other


def _blocks(text: str) -> list[tuple[str, list[str]]]:
    """``exp list``'s output as (baseline line, its sorted experiment lines), sorted: DVC
    prints both in dulwich's set order, which changes from run to run."""
    blocks: list[tuple[str, list[str]]] = [("", [])]
    for line in text.splitlines():
        if line.endswith(":") and not line.startswith("\t"):
            blocks.append((line, []))
        else:
            blocks[-1][1].append(line)
    return sorted((head, sorted(lines)) for head, lines in blocks)


def _exp_refs(root: Path) -> list[str]:
    out = git(root, "for-each-ref", "--format=%(objectname) %(refname)", "refs/exps/")
    return [line for line in out.splitlines() if "/exec/" not in line]


@pytest.mark.parametrize("args", [(), ("-A",), ("--name-only",), ("-A", "--sha-only"),
                                  ("-n", "2"), ("--rev", "HEAD~1"), ("ls",)])
def test_list_as_dvc(twins: tuple[Path, Path], args: tuple[str, ...]) -> None:
    mine, other = twins
    verb = ("ls", *args[1:]) if args[:1] == ("ls",) else ("list", *args)
    got, want = _ok(ours(mine, "exp", *verb)), _ok(theirs(other, "exp", *verb))
    assert _blocks(got.stdout) == _blocks(want.stdout)
    assert got.stdout


def test_list_labels_and_a_remote(twins: tuple[Path, Path], tmp_path: Path) -> None:
    mine, other = twins
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    for root in twins:
        git(root, "remote", "add", "origin", str(remote))
        git(root, "tag", "v1", "HEAD~1")
    git(mine, "push", "-q", "origin", "master", "refs/exps/*:refs/exps/*")
    for args in (("origin",), ("-A", "origin"), ("--name-only", "origin"), ("-A",)):
        got, want = _ok(ours(mine, "exp", "list", *args)), _ok(theirs(other, "exp", "list",
                                                                         *args))
        assert _blocks(got.stdout) == _blocks(want.stdout), args
    assert "\tf1\n" in ours(mine, "exp", "list", "origin").stdout
    assert "v1:\n" in ours(mine, "exp", "list", "-A").stdout
    for args, error in ((("nope",), "ERROR: 'nope' is not a valid Git remote or URL"),
                        (("--sha-only", "origin"),
                         "ERROR: --sha-only not supported with git_remote."),
                        (("--rev", "nope"), "ERROR: unknown Git revision 'nope'")):
        got, want = ours(mine, "exp", "list", *args), theirs(other, "exp", "list", *args)
        assert (got.returncode, got.stderr.strip()) == (3, error)
        assert (want.returncode, want.stderr.strip()) == (255, error)


@pytest.mark.parametrize(("args", "out"), [
    (("f1",), "Removed experiments: 'f1'\n"),
    (("e1",), "Removed experiments: 'e1'\n"),  # NOTE: the e1 of HEAD's baseline
    (("e3", "f1"), "Removed experiments: 'e3' and 'f1'\n"),
    (("e2", "e3", "e1"), "Removed experiments: 'e2', 'e3' and 'e1'\n"),
    (("--rev", "HEAD~1"), None),
    (("--rev", "HEAD", "-n", "2"), None),
    (("-A",), None),
    (("--keep", "e1"), None),
    (("--rev", "HEAD", "--keep"), None),
    (("--queue",), "No experiments to remove.\n"),
])
def test_remove_as_dvc(twins: tuple[Path, Path], args: tuple[str, ...], out: str | None,
                       ) -> None:
    mine, other = twins
    got, want = _ok(ours(mine, "exp", "remove", *args)), _ok(theirs(other, "exp", "rm", *args))
    if out is not None:
        assert got.stdout == want.stdout == out
    else:  # NOTE: DVC lists the names in set order
        head = "Removed experiments: "
        assert got.stdout.startswith(head)
        assert want.stdout.startswith(head)
        assert sorted(got.stdout[len(head):].replace(" and ", ", ").strip().split(", ")) == \
            sorted(want.stdout[len(head):].replace(" and ", ", ").strip().split(", "))
    if args != ("--rev", "HEAD", "-n", "2"):  # NOTE: DVC keeps one of two same names there
        assert _exp_refs(mine) == _exp_refs(other)
    else:
        assert _exp_refs(mine) == []


@pytest.mark.parametrize(("args", "error"), [
    ((), ("ERROR: Either provide an `experiment` argument, or use the `--rev` or "
         "`--all-commits` or `--queue` flag.")),
    (("-A", "e1"), ("ERROR: Either provide an `experiment` argument, or use the `--rev` or "
                   "`--all-commits` or `--queue` flag.")),
    (("nope",), "ERROR: 'nope' is not a valid experiment name"),
    (("nope", "f1", "nada"), "ERROR: 'nope; nada' are not valid experiment names"),
    (("--rev", "nope"), "ERROR: unknown Git revision 'nope'"),
    (("--keep", "--queue"), "ERROR: Cannot use both `--keep` and `--queue`."),
])
def test_remove_errors_as_dvc(twins: tuple[Path, Path], args: tuple[str, ...], error: str,
                              ) -> None:
    mine, other = twins
    got, want = ours(mine, "exp", "remove", *args), theirs(other, "exp", "remove", *args)
    assert (got.returncode, got.stdout, got.stderr.strip()) == (3, "", error)
    assert (want.returncode, want.stderr.strip()) == (255, error)
    assert _exp_refs(mine) == _exp_refs(other)
    assert len(_exp_refs(mine)) == 5  # NOTE: nothing removed


def test_remove_on_a_git_remote(twins: tuple[Path, Path], tmp_path: Path) -> None:
    mine, other = twins
    for root, name in ((mine, "a.git"), (other, "b.git")):
        git(tmp_path, "init", "-q", "--bare", name)
        git(root, "remote", "add", "origin", str(tmp_path / name))
        git(root, "push", "-q", "origin", "refs/exps/*:refs/exps/*")
    got = _ok(ours(mine, "exp", "remove", "-g", "origin", "f1", "e2"))
    want = _ok(theirs(other, "exp", "remove", "-g", "origin", "f1", "e2"))
    assert got.stdout == want.stdout == "Removed experiments: 'f1' and 'e2'\n"
    assert _exp_refs(tmp_path / "a.git") == _exp_refs(tmp_path / "b.git")
    assert len(_exp_refs(tmp_path / "a.git")) == 3
    assert len(_exp_refs(mine)) == 5  # NOTE: the local refs stay
    got, want = (ours(mine, "exp", "remove", "-g", "origin", "nope"),
                 theirs(other, "exp", "remove", "-g", "origin", "nope"))
    assert got.stderr == want.stderr == "ERROR: Experiment 'nope' does not exist in 'origin'\n"
    _ok(ours(mine, "exp", "remove", "-g", "origin", "-A"))
    assert _exp_refs(tmp_path / "a.git") == []


def test_remove_queued(twins: tuple[Path, Path]) -> None:
    mine, _ = twins
    _ok(ours(mine, "exp", "run", "--queue", "-S", "train.n_est=33", "-n", "q1"))
    _ok(ours(mine, "exp", "run", "--queue", "-S", "train.n_est=34", "-n", "q2"))
    assert _ok(ours(mine, "exp", "remove", "q2")).stdout == "Removed experiments: 'q2'\n"
    assert _ok(ours(mine, "exp", "remove", "--queue")).stdout == "Removed experiments: 'q1'\n"
    assert _ok(ours(mine, "queue", "status")).stdout.startswith("No experiment tasks")
    assert len(_exp_refs(mine)) == 5


def _state(root: Path) -> dict[str, object]:
    """What ``exp apply`` leaves: the files, git's status, HEAD and the apply refs."""
    files = {rel: (root / rel).read_bytes() if (root / rel).exists() else None
             for rel in (*FILES, "new.txt")}
    refs = {ref: git(root, "rev-parse", "--verify", "-q", ref) if subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--verify", "-q", ref], capture_output=True,
        check=False).returncode == 0 else None
        for ref in ("HEAD", "refs/exps/apply/ORIG_HEAD", "refs/exps/exec/EXEC_APPLY",
                    "refs/exps/apply/stash^{tree}", "refs/exps/apply/stash^2^{tree}",
                    "refs/exps/apply/stash^3^{tree}")}
    return {"files": files, "status": git(root, "status", "--porcelain"), "refs": refs}


@pytest.mark.parametrize("name", ["f1", "e1", "e3", "refs/exps/{c1}/e2"])
def test_apply_as_dvc(twins: tuple[Path, Path], name: str) -> None:
    mine, other = twins
    c1 = git(mine, "rev-parse", "HEAD~1")
    name = name.replace("{c1}", f"{c1[:2]}/{c1[2:]}")
    got, want = _ok(ours(mine, "exp", "apply", name)), _ok(theirs(other, "exp", "apply", name))
    line = f"Changes for experiment '{name}' have been applied to your current workspace.\n"
    assert got.stdout == want.stdout == line
    assert got.stderr == ""
    assert _state(mine) == _state(other)
    changed = set(git(mine, "diff", "--name-only").splitlines())
    assert changed >= {"dvc.lock", "eval.json", "params.yaml"}  # NOTE: unstaged, as DVC's


def test_apply_dirty_workspace_as_dvc(twins: tuple[Path, Path]) -> None:
    for root in twins:
        with (root / "params.yaml").open("a") as f:
            f.write("# mine\n")
        with (root / "src" / "train.py").open("a") as f:
            f.write("# mine\n")
        (root / "new.txt").write_text("new\n")
        with (root / "src" / "evaluate.py").open("a") as f:
            f.write("# staged\n")
        git(root, "add", "src/evaluate.py")
        (root / "model.pkl").write_text("junk")
    mine, other = twins
    _ok(ours(mine, "exp", "apply", "f1"))
    _ok(theirs(other, "exp", "apply", "f1"))
    state = _state(mine)
    assert state == _state(other)
    assert b"# mine" not in (mine / "src" / "train.py").read_bytes()  # NOTE: DVC's overwrite
    assert state["refs"]["refs/exps/apply/stash^3^{tree}"] is not None  # type: ignore[index]
    subject = git(mine, "log", "-1", "--format=%s", "refs/exps/apply/stash")
    assert subject == git(other, "log", "-1", "--format=%s", "refs/exps/apply/stash")
    git(mine, "reset", "-q", "--hard")
    (mine / "new.txt").unlink()  # NOTE: or git refuses to bring it back
    git(mine, "stash", "apply", "-q", "refs/exps/apply/stash")  # NOTE: DVC's way back
    assert b"# mine" in (mine / "src" / "train.py").read_bytes()


def test_apply_cross_tool(twins: tuple[Path, Path]) -> None:
    """dvc applies what dvcdoit ran (f1), dvcdoit what dvc ran (e1 on master)."""
    mine, other = twins
    for name in ("e1", "f1"):
        _ok(ours(mine, "exp", "apply", name))
        _ok(theirs(other, "exp", "apply", name))
        assert _state(mine) == _state(other)
        assert _ok(theirs(mine, "status")).stdout == _ok(theirs(other, "status")).stdout


def test_apply_errors_as_dvc(twins: tuple[Path, Path]) -> None:
    mine, other = twins
    got, want = ours(mine, "exp", "apply", "nope"), theirs(other, "exp", "apply", "nope")
    error = ("ERROR: 'nope' does not appear to be an experiment commit.: unknown Git "
             "revision 'nope'\n")
    assert (got.returncode, got.stderr) == (3, error)
    assert (want.returncode, want.stderr) == (255, error)
    for root in twins:
        git(root, "commit", "-q", "--allow-empty", "-m", "third")
    got, want = ours(mine, "exp", "apply", "e1"), theirs(other, "exp", "apply", "e1")
    assert got.stderr.splitlines()[:2] == want.stderr.splitlines()[:2] == [
        ("ERROR: Ambiguous name 'e1' refers to multiple experiments. Use one of the following "
        "full refnames instead:"), ""]
    assert sorted(got.stderr.splitlines()[2:]) == sorted(want.stderr.splitlines()[2:])
    assert git(mine, "status", "--porcelain") == ""


@pytest.mark.parametrize("args", [("f1",), ("f1", "promoted"), ("e1",), ("HEAD~1", "x")])
def test_branch_as_dvc(twins: tuple[Path, Path], args: tuple[str, ...]) -> None:
    mine, other = twins
    got, want = _ok(ours(mine, "exp", "branch", *args)), _ok(theirs(other, "exp", "branch",
                                                                      *args))
    assert got.stdout == want.stdout
    new = args[1] if len(args) > 1 else f"{args[0]}-branch"
    assert got.stdout.endswith(f"To switch to the new branch run:\n\n\tgit checkout {new}\n")
    for fmt in ("%H", "%gs"):
        assert git(mine, "log", "-g", f"--format={fmt}", f"refs/heads/{new}") == \
            git(other, "log", "-g", f"--format={fmt}", f"refs/heads/{new}")
    assert git(mine, "symbolic-ref", "HEAD") == "refs/heads/master"


@pytest.mark.parametrize(("args", "error"), [
    (("f1", "master"), "ERROR: Git branch 'master' already exists."),
    (("nope",), "ERROR: nope"),
])
def test_branch_errors_as_dvc(twins: tuple[Path, Path], args: tuple[str, ...], error: str,
                              ) -> None:
    mine, other = twins
    got, want = ours(mine, "exp", "branch", *args), theirs(other, "exp", "branch", *args)
    assert (got.returncode, got.stderr) == (3, error + "\n")
    assert (want.returncode, want.stderr) == (255, error + "\n")



@pytest.mark.parametrize("args", [(), ("e1", "f1"), ("e1", "--all"), ("e1", "f1", "--md"),
                                  ("e1", "f1", "--no-path", "--precision", "2"),
                                  ("HEAD~1", "e1", "--param-deps", "--all"), ("f1", "--md")])
def test_diff_as_dvc(twins: tuple[Path, Path], args: tuple[str, ...]) -> None:
    """e1 is dvc's run, f1 dvcdoit's; the workspace holds e3 (dvcdoit's, on HEAD~1)."""
    mine, other = twins
    _ok(ours(mine, "exp", "apply", "e3"))
    _ok(theirs(other, "exp", "apply", "e3"))
    got, want = _ok(ours(mine, "exp", "diff", *args)), _ok(theirs(other, "exp", "diff", *args))
    if args[:2] == ("e1", "f1") or "--all" in args:  # NOTE: both of a kind: no set order
        assert got.stdout == want.stdout
    assert sorted(got.stdout.splitlines()) == sorted(want.stdout.splitlines())
    assert "Change" in got.stdout
    got = _ok(ours(mine, "exp", "diff", *args, "--json"))
    want = _ok(theirs(other, "exp", "diff", *args, "--json"))
    assert json.loads(got.stdout) == json.loads(want.stdout)


def test_diff_nothing_and_errors(twins: tuple[Path, Path]) -> None:
    mine, other = twins
    for extra in ((), ("--md",), ("--json",)):
        got, want = _ok(ours(mine, "exp", "diff", *extra)), _ok(theirs(other, "exp", "diff",
                                                                         *extra))
        assert got.stdout == want.stdout
    assert ours(mine, "exp", "diff").stdout == "\n"  # NOTE: the tables' separator alone
    got, want = ours(mine, "exp", "diff", "nope"), theirs(other, "exp", "diff", "nope")
    error = "ERROR: failed to show experiments diff - unknown Git revision 'nope'\n"
    assert (got.returncode, got.stderr) == (3, error)
    assert (want.returncode, want.stderr) == (1, error)


@pytest.mark.parametrize("dirty", [False, True])
def test_apply_deletes_a_file_only_from_a_clean_workspace(twins: tuple[Path, Path],
                                                          dirty: bool) -> None:
    """An experiment without src/train.py: DVC deletes it, unless the workspace had
    changes (then it copies the stashed files the experiment lacks back)."""
    for root in twins:
        head = git(root, "rev-parse", "HEAD")
        env = {**os.environ, "GIT_INDEX_FILE": str(root / ".git" / "tmp-index")}
        for args in (("read-tree", head), ("rm", "-q", "--cached", "src/train.py")):
            subprocess.run(["git", "-C", str(root), *args], env=env, check=True)
        tree = subprocess.run(["git", "-C", str(root), "write-tree"], env=env, check=True,
                              capture_output=True, text=True).stdout.strip()
        (root / ".git" / "tmp-index").unlink()
        sha = git(root, "commit-tree", tree, "-p", head, "-m", "dvc: commit experiment x")
        git(root, "update-ref", f"refs/exps/{head[:2]}/{head[2:]}/lean", sha)
        if dirty:
            (root / "new.txt").write_text("x\n")
    mine, other = twins
    _ok(ours(mine, "exp", "apply", "lean"))
    _ok(theirs(other, "exp", "apply", "lean"))
    assert _state(mine) == _state(other)
    assert (mine / "src" / "train.py").exists() is dirty


def test_remove_applied_experiment_drops_exec_apply(twins: tuple[Path, Path]) -> None:
    mine, other = twins
    _ok(ours(mine, "exp", "apply", "f1"))
    _ok(theirs(other, "exp", "apply", "f1"))
    _ok(ours(mine, "exp", "remove", "f1"))
    _ok(theirs(other, "exp", "remove", "f1"))
    every = ("for-each-ref", "--format=%(objectname) %(refname)", "refs/exps/")
    assert git(mine, *every) == git(other, *every)
    assert "EXEC_APPLY" not in git(mine, *every)


def test_branch_of_a_commit_in_many_experiments(twins: tuple[Path, Path]) -> None:
    """HEAD~2 (c1) is in every experiment's history; none is on HEAD (a new commit)."""
    for root in twins:
        git(root, "commit", "-q", "--allow-empty", "-m", "third")
    mine, other = twins
    got, want = ours(mine, "exp", "branch", "HEAD~2", "b"), theirs(other, "exp", "branch",
                                                                   "HEAD~2", "b")
    assert got.returncode == 3
    assert want.returncode == 255
    assert got.stderr.splitlines()[:2] == want.stderr.splitlines()[:2] == [
        ("ERROR: Ambiguous experiment name 'HEAD~2' can refer to multiple experiments. To "
        "create a branch use a full experiment ref:"), ""]
    assert sorted(got.stderr.splitlines()[2:]) == sorted(want.stderr.splitlines()[2:])
    assert len(got.stderr.splitlines()) == 7
