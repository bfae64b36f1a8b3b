"""``-q`` before or after the verb, on every level, silences all but errors (as DVC's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Runner, write_tree


@pytest.mark.parametrize("before", [True, False])
def test_quiet_before_or_after_the_verb(git_repo: Path, dvcdoit: Runner, before: bool) -> None:
    def quiet(*argv: str, check: bool = True) -> tuple[int, str, str]:
        args = ("-q", *argv) if before else (argv[0], "-q", *argv[1:])
        proc = dvcdoit(*args, check=check)
        return proc.returncode, proc.stdout, proc.stderr

    write_tree(git_repo, {"data/a.txt": "a\n", "f.txt": "f\n"})
    assert quiet("init") == (0, "", "")
    assert quiet("add", "data", "f.txt") == (0, "", "")
    assert (git_repo / "data.dvc").is_file()
    assert quiet("status") == (0, "", "")
    (git_repo / "f.txt").write_text("g\n")
    assert quiet("status", check=False) == (1, "", "")  # NOTE: DVC's status -q: nothing, exit 1 on changes
    assert "f.txt.dvc" in dvcdoit("status").stdout
    assert quiet("commit", "-f", "f.txt") == (0, "", "")
    assert quiet("remote", "add", "-d", "r", str(git_repo.parent / "store")) == (0, "", "")
    assert quiet("push") == (0, "", "")
    assert (git_repo.parent / "store" / "files" / "md5").is_dir()
    code, out, err = quiet("checkout", "nope.dvc", check=False)
    assert (code, out) == (3, "") and err.startswith("ERROR: "), err  # errors still show
