""".gitignore entries: bytes DVC 3.67.1 wrote (goldens), git checks, removal."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dvcdoit.core.errors import PathError
from dvcdoit.repo import gitignore
from tests.conftest import Runner, write_tree

GOLDEN = Path(__file__).parent / "golden" / "gitignore"


@pytest.mark.parametrize(
    ("out", "expected"),
    [("data", (".gitignore", "/data")),
     ("gi/we[ird]*#!? name.txt", ("gi/.gitignore", "/we\\[ird\\]\\*\\#\\!\\? name.txt")),
     ("gi/#hash", ("gi/.gitignore", "/\\#hash")),
     ("a/b/c\\d", ("a/b/.gitignore", "/c\\\\d")),
     ("caf\u00e9.txt", (".gitignore", "/caf\u00e9.txt")),
     ("dir/", (".gitignore", "/dir"))],
)
def test_entry_for(out: str, expected: tuple[str, str]) -> None:
    assert gitignore.entry_for(out) == expected


def _setup(root: Path) -> None:
    write_tree(root, {"gi/we[ird]*#!? name.txt": "w\n", "gi/#hash": "h\n", "gi/dir/f": "f\n",
                      "gi2/.gitignore": "keep", "gi2/f": "f\n", "gi3/.gitignore": "/f\n",
                      "gi3/f": "f\n", "gi4/.gitignore": "*.bin\n", "gi4/x.bin": "b\n",
                      "sub/x": "sub\n"})


OUTS = ["gi/we[ird]*#!? name.txt", "gi/#hash", "gi/dir", "gi2/f", "gi3/f", "gi4/x.bin", "sub/x"]


def test_add_matches_dvc_goldens(git_repo: Path) -> None:
    _setup(git_repo)
    changed = gitignore.add(git_repo, OUTS)
    assert changed == ["gi/.gitignore", "gi2/.gitignore", "sub/.gitignore"]
    for name in ("gi", "gi2", "gi3", "gi4", "sub"):
        assert (git_repo / name / ".gitignore").read_bytes() == \
            (GOLDEN / f"{name}.gitignore").read_bytes(), name
    assert gitignore.add(git_repo, OUTS) == []  # idempotent: git now ignores them all


def test_add_outside_git_dedupes_by_line(tmp_path: Path) -> None:
    _setup(tmp_path)
    assert not gitignore.in_git_work_tree(tmp_path)
    gitignore.add(tmp_path, OUTS)
    assert (tmp_path / "gi3/.gitignore").read_text() == "/f\n"
    # without git nobody knows that *.bin covers x.bin, so DVC's entry is added
    assert (tmp_path / "gi4/.gitignore").read_text() == "*.bin\n/x.bin\n"
    assert (tmp_path / "gi/.gitignore").read_bytes() == (GOLDEN / "gi.gitignore").read_bytes()
    gitignore.add(tmp_path, OUTS)
    assert (tmp_path / "gi/.gitignore").read_bytes() == (GOLDEN / "gi.gitignore").read_bytes()


def test_add_root_outputs_in_order(git_repo: Path) -> None:
    names = ["foo.txt", "run.sh", "empty.txt", "caf\u00e9.txt", "123", "yes", "data", "tricky",
             "emptydir"]
    write_tree(git_repo, dict.fromkeys(names, ""))
    gitignore.add(git_repo, names)
    assert (git_repo / ".gitignore").read_bytes() == (GOLDEN / "root.gitignore").read_bytes()


def test_git_ignored_batch(git_repo: Path) -> None:
    write_tree(git_repo, {".gitignore": "*.bin\n/a b\n", "x.bin": "", "a b": "", "c": ""})
    assert gitignore.git_ignored(git_repo, ["x.bin", "a b", "c", "sub/y.bin"]) == {
        "x.bin", "a b", "sub/y.bin"}
    assert gitignore.git_ignored(git_repo, []) == set()


def test_remove(tmp_path: Path) -> None:
    write_tree(tmp_path, {"gi/.gitignore": "/we\\[ird\\]\\*\\#\\!\\? name.txt\n/\\#hash\n/dir\n"})
    assert gitignore.remove(tmp_path, "gi/#hash") == "gi/.gitignore"
    assert (tmp_path / "gi/.gitignore").read_text() == "/we\\[ird\\]\\*\\#\\!\\? name.txt\n/dir\n"
    assert gitignore.remove(tmp_path, "gi/nothere") is None
    gitignore.remove(tmp_path, "gi/we[ird]*#!? name.txt")
    gitignore.remove(tmp_path, "gi/dir")
    assert not (tmp_path / "gi/.gitignore").exists()
    assert gitignore.remove(tmp_path, "gi/dir") is None


def test_remove_keeps_other_lines_and_unescaped_form(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("# mine\n/#raw\n*.pyc\n")
    gitignore.remove(tmp_path, "#raw")
    assert (tmp_path / ".gitignore").read_text() == "# mine\n*.pyc\n"


def _commit(root: Path, *paths: str) -> None:
    subprocess.run(["git", "add", "--", *paths], cwd=root, check=True)
    subprocess.run(["git", "commit", "-qm", "x"], cwd=root, check=True)


def test_check_untracked(git_repo: Path) -> None:
    write_tree(git_repo, {"t.txt": "t", "d/in.txt": "i", "u.txt": "u", "d2/u": "u",
                          "w[x]*": "w"})
    _commit(git_repo, "t.txt", "d/in.txt")
    gitignore.check_untracked(git_repo, ["u.txt", "d2", "w[x]*"])
    for out in ("t.txt", "d", "d/"):
        with pytest.raises(PathError) as exc:
            gitignore.check_untracked(git_repo, ["u.txt", out])
        name = out.rstrip("/")
        assert str(exc.value) == (f"{name}: already tracked by git; stop tracking it first: "
                                  f"git rm -r --cached '{name}' && git commit -m "
                                  f"\"stop tracking {name}\"")


def test_check_untracked_glob_chars_are_literal(git_repo: Path) -> None:
    write_tree(git_repo, {"a1": "x", "a*": "y"})
    _commit(git_repo, "a1")
    gitignore.check_untracked(git_repo, ["a*"])  # would match a1 as a pathspec glob


def test_no_git_means_no_checks(tmp_path: Path) -> None:
    gitignore.check_untracked(tmp_path, ["anything"])
    assert gitignore.git_ignored(tmp_path, ["x"]) == set()


@pytest.mark.interop
def test_dvc_and_we_agree_on_a_fresh_repo(git_repo: Path, dvc: Runner, tmp_path: Path) -> None:
    """Real `dvc add` and our add() leave the same .gitignore for an awkward name."""
    dvc("init", "-q")
    write_tree(git_repo, {"n/[x] #1!.csv": "a", "n/.gitignore": "# header"})
    dvc("add", "-q", "n/[x] #1!.csv")
    theirs = (git_repo / "n/.gitignore").read_bytes()
    (git_repo / "n/.gitignore").write_text("# header")
    gitignore.add(git_repo, ["n/[x] #1!.csv"])
    assert (git_repo / "n/.gitignore").read_bytes() == theirs == b"# header\n/\\[x\\] \\#1\\!.csv\n"


def test_primed_answers_give_the_same_files(git_repo: Path) -> None:
    _setup(git_repo)
    session = gitignore.Gitignores(git_repo)
    session.prime(OUTS)  # NOTE: asked before the outputs' parents changed
    assert session.primed
    assert session.add(OUTS) == ["gi/.gitignore", "gi2/.gitignore", "sub/.gitignore"]
    for name in ("gi", "gi2", "gi3", "gi4", "sub"):
        assert (git_repo / name / ".gitignore").read_bytes() == \
            (GOLDEN / f"{name}.gitignore").read_bytes(), name
    assert session.add(OUTS) == []


def test_primed_answer_for_a_path_that_became_a_directory_is_asked_again(git_repo: Path
                                                                        ) -> None:
    write_tree(git_repo, {".gitignore": "out/\n"})
    session = gitignore.Gitignores(git_repo)
    session.prime(["out"])  # NOTE: not yet created: git sees a file, not ignored
    (git_repo / "out").mkdir()
    assert session.add(["out"]) == []  # "out/" ignores the directory
