"""A scripted session of 50 commands, run by real DVC 3.67.1 and by dvcdoit on twin repos:
each command prints the same text (issue 14, "DVC's words").

Normalised before comparing, as documented differences: ``dvcdoit`` in hints where DVC says
``dvc``; the files of a git hint and the lines of a ``status -c`` block, which DVC prints in a
Python set's order (it varies per run); exit codes compared as success or failure (DVC
exits 1, 251 or 255 where dvcdoit exits 1 or 3). Not in the session: ``remote list`` of a
long URL (DVC wraps its table at 80 columns) and ``repro --dry`` (DVC's dry run fails on a
missing upstream output).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Runner, write_tree

PIPELINE = """\
stages:
  prepare:
    cmd: cat raw.txt > prepared.txt
    deps: [raw.txt]
    outs: [prepared.txt]
  train:
    cmd: python3 -c "open('model.txt','w').write('m')"
    deps: [prepared.txt, data]
    params: [lr]
    outs: [model.txt]
  evaluate:
    cmd: python3 -c "import json; json.dump(dict(acc=0.5), open('metrics.json','w'))"
    deps: [model.txt]
    metrics:
    - metrics.json:
        cache: false
"""
Step = tuple[str, ...] | Callable[[Path], None]


def _git(*args: str) -> Callable[[Path], None]:
    def run(root: Path) -> None:
        subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], cwd=root,
                       check=True, capture_output=True)
    return run


def _write(files: dict[str, str]) -> Callable[[Path], None]:
    return lambda root: write_tree(root, files)


def _remove(*paths: str) -> Callable[[Path], None]:
    return lambda root: subprocess.run(["rm", "-rf", *paths], cwd=root, check=True)


SESSION: tuple[Step, ...] = (
    ("init",), ("status",),
    _write({f"data/f{i}.csv": f"row {i}\n" for i in range(1, 6)} | {"raw.txt": "raw\n"}),
    ("add", "data"), ("add", "raw.txt"), ("status",), ("status", "--json"),
    ("remote", "add", "-d", "store", "{remote}"), ("config", "core.remote"),
    ("status", "-c"), ("push",), ("status", "-c"),
    _write({"dvc.yaml": PIPELINE, "params.yaml": "lr: 0.1\n"}),
    ("status",), ("repro",), ("repro",), ("status",), ("metrics", "show"),
    ("metrics", "show", "--json"), ("params", "diff"), ("stage", "list"), ("dag",),
    ("dag", "--mermaid"),
    ("push",), _git("add", "-A"), _git("commit", "-qm", "one"),
    _write({"params.yaml": "lr: 0.2\n"}),
    ("status",), ("params", "diff"), ("params", "diff", "--json"), ("repro", "train"),
    ("metrics", "diff"), ("diff",), ("diff", "--json"), _git("add", "-A"),
    _git("commit", "-qm", "two"), ("metrics", "show", "-a"),
    _remove("data", "model.txt", ".dvc/cache"),
    ("status",), ("fetch",), ("checkout",), ("status",), _remove("data"), ("pull",),
    _write({"data/f6.csv": "more\n"}), ("status",), ("diff",), ("commit", "-f"), ("status",),
    ("repro", "-f", "prepare"), ("cache", "dir"), ("check-ignore", "data", "model.txt", "other"),
    ("status", "nonexistent"), ("repro", "nosuch"), ("remote", "remove", "store"),
    ("remote", "list"), ("diff", "--targets", "data"), ("metrics", "show", "-T"),
    ("params", "diff", "HEAD~1"), ("stage", "list", "--name-only"), ("metrics", "diff", "HEAD~1"),
)


def _normal(text: str, root: Path) -> str:
    text = text.replace(str(root.parent), "<D>").replace("dvcdoit", "dvc")
    text = re.sub(r"(\tgit add )(.*)", lambda m: m[1] + " ".join(sorted(m[2].split())), text)
    # NOTE: a status -c block: its lines in set order in DVC
    return re.sub(r"((?:^\t\S+: +\S+\n)+)", lambda m: "".join(sorted(m[1].splitlines(True))),
                  text, flags=re.MULTILINE)


def _play(root: Path, tool: Runner) -> list[tuple[str, str, bool]]:
    (root / "repo").mkdir(parents=True)
    repo = root / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    said = []
    for step in SESSION:
        if callable(step):
            step(repo)
            continue
        args = tuple(a.replace("{remote}", str(root / "remote")) for a in step)
        proc = tool(*args, check=False, cwd=repo)
        said.append((" ".join(step), _normal(proc.stdout + proc.stderr, repo), proc.returncode == 0))
    return said


@pytest.mark.interop
def test_fifty_commands_say_what_dvc_says(tmp_path: Path, dvc: Runner, dvcdoit: Runner) -> None:
    assert sum(1 for s in SESSION if not callable(s)) >= 50
    theirs = _play(tmp_path / "dvc", dvc)
    ours = _play(tmp_path / "dvcdoit", dvcdoit)
    for want, got in zip(theirs, ours, strict=True):
        assert got == want
