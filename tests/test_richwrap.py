"""Styled lines wrap as DVC's rich console wraps them: the function against rich itself (from
the DVC venv), and checkout / remote list against real DVC with long paths."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest

from dvcdoit.formats.richwrap import wrap
from tests.conftest import Runner, _find_dvc, write_tree

RICH = """
import json, sys
from rich.console import Console
from rich.text import Text
out = []
for text, width in json.load(sys.stdin):
    console = Console(width=width, file=None, color_system=None, force_terminal=False)
    with console.capture() as cap:
        console.print(Text(text), end="")
    out.append(cap.get())
print(json.dumps(out))
"""

ALPHABET = ["a", "b", "/", ".", " ", " ", "\t", "-", "xyz", "\u754c", "\n", "  "]


def _cases(n: int) -> list[tuple[str, int]]:
    rng = random.Random(7)
    cases = [("A\t" + "d/" * 40 + "f.txt", 80), ("r3\t" + "p" * 72, 80), ("", 80),
             ("x" * 200, 80), ("word " * 30, 80), ("tail   ", 5), ("\tindented words here", 12)]
    for _ in range(n):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 60)))
        cases.append((text, rng.randrange(4, 30)))
    return cases


@pytest.mark.interop
def test_wrap_is_what_rich_prints() -> None:
    exe = _find_dvc()
    assert exe is not None
    cases = _cases(400)
    proc = subprocess.run([str(Path(exe).parent / "python"), "-c", RICH], check=True,
                          input=json.dumps(cases), capture_output=True, text=True)
    theirs = json.loads(proc.stdout)
    ours = [wrap(text, width) for text, width in cases]
    bad = [(c, o, t) for c, o, t in zip(cases, ours, theirs, strict=True) if o != t]
    assert not bad, bad[:3]


def test_a_long_path_goes_to_a_line_of_its_own() -> None:
    path = "data/" + "x" * 80
    assert wrap(f"A\t{path}", 80) == f"A       \n{path[:80]}\n{path[80:]}"
    assert wrap("A\t" + "d" * 72, 80) == "A       " + "d" * 72
    assert wrap("A\t" + "d" * 73, 80) == "A       \n" + "d" * 73
    assert wrap("M\tshort", 80) == "M       short"


@pytest.mark.interop
@pytest.mark.parametrize("columns", [None, "40"])
def test_checkout_and_remote_list_wrap_as_dvc(tmp_path: Path, dvc: Runner, dvcdoit: Runner,
                                              monkeypatch: pytest.MonkeyPatch,
                                              columns: str | None) -> None:
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    deep = "data/" + "/".join(["a-rather-long-directory-name"] * 3)
    outs = {}
    for name, tool in (("ours", dvcdoit), ("dvc", dvc)):
        root = tmp_path / name
        root.mkdir()
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        files = [f"{deep}/file-with-a-long-name.txt", "data/b.txt"]
        write_tree(root, dict.fromkeys(files, "1\n"))
        tool("init", "-q", cwd=root)
        tool("add", "-q", *files, cwd=root)
        tool("remote", "add", "-d", "store", str(tmp_path / ("x" * 70)), cwd=root)
        tool("remote", "add", "other", "s3://bucket/short", cwd=root)
        for rel in files:
            (root / rel).unlink()
        outs[name] = [tool("checkout", cwd=root).stdout, tool("remote", "list", cwd=root).stdout]
    assert outs["ours"] == outs["dvc"]
    assert outs["ours"][0].startswith("A       \ndata/a-rather")
