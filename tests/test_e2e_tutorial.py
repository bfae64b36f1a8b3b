"""The get-started tutorial, end to end: run examples/get-started/README.md exactly as written.

Every ``$ `` line of the README's ```console blocks runs, in order, with ``bash -c`` in a fresh
git repo in a temp dir (``dvcdoit`` and ``doit`` are this checkout's). Each command must exit 0,
and every output line the README shows must appear in what it printed (whitespace-normalised).
Checks on the files (cache objects, .gitignore, lock, metrics, the remote) run after the
commands they are about. A second test runs ``run.sh``, the tutorial's "main job".
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import DVC_ENV, _find_dvc
from tests.test_mixing import ran

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "get-started"
README = EXAMPLE / "README.md"

DATA_MD5 = "808abf2099402e93590ec00b25786c39"
PREPARED_DIR = "91fa51c8ecc9bbbd60b46e70cdb659de.dir"
TRAIN_MD5, TEST_MD5 = "c003d040ef646fdcbcd70e55959c1b73", "6b4cf8ad4810cf52e0554b7bd69cb5ac"


@dataclass(frozen=True)
class Step:
    """One ``$ command`` of the README and the output lines shown under it."""

    command: str
    expected: tuple[str, ...]


def extract_steps(text: str) -> list[Step]:
    """Return the steps of every ```console block, in order."""
    steps: list[Step] = []
    command: str | None = None
    expected: list[str] = []
    inside = False
    for line in text.splitlines():
        if line.startswith("```"):
            if inside and command is not None:
                steps.append(Step(command, tuple(expected)))
            inside, command, expected = line.strip() == "```console", None, []
            continue
        if not inside:
            continue
        if line.startswith("$ "):
            if command is not None:
                steps.append(Step(command, tuple(expected)))
            command, expected = line[2:], []
        elif line.strip():
            assert command is not None, f"output line before any command: {line!r}"
            expected.append(line)
    return steps


def norm(line: str) -> str:
    """Collapse runs of whitespace (the README may show tabs as spaces)."""
    return " ".join(line.split())


def tool_env(tmp: Path) -> dict[str, str]:
    """Environment with ``dvcdoit`` and ``doit`` shims for this checkout first on PATH."""
    bindir = tmp / "bin"
    bindir.mkdir(exist_ok=True)
    for name, module in (("dvcdoit", "dvcdoit"), ("doit", "doit")):
        shim = bindir / name
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m {module} "$@"\n')
        shim.chmod(0o755)
    env = {**os.environ, **DVC_ENV}
    env["PATH"] = f"{bindir}{os.pathsep}{env['PATH']}"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def executed_tasks(output: str) -> list[str]:
    """Names of the doit tasks that ran: doit's ``.  name`` for a task of the dodo, DVC's
    lines (dvcdoit's reporter) for a stage that ran, was restored or verified."""
    return ran(subprocess.CompletedProcess([], 0, output, ""))


def uptodate_tasks(output: str) -> list[str]:
    """Names of the doit tasks that were up to date: doit's ``-- name``, or DVC's
    ``Stage 'x' didn't change, skipping`` (``'x.dvc' didn't…`` for a data source)."""
    found = re.finditer(r"^(?:-- (\S+)|(?:Stage )?'([^']+)' didn't change, skipping)$", output,
                        re.MULTILINE)
    return [m[1] or f"repro:{m[2]}" for m in found]


def obj(repo_or_remote: Path, name: str) -> Path:
    """Path of a DVC 3 object ``name`` (md5, maybe with ``.dir``) below a cache or remote."""
    return repo_or_remote / "files" / "md5" / name[:2] / name[2:]


def test_readme_contains_the_tutorial_steps() -> None:
    commands = [s.command for s in extract_steps(README.read_text())]
    for required in (
        "dvcdoit init",
        "dvcdoit add data/data.xml",
        ("dvcdoit run -f prepare.dvc -d src/prepare.py -d data/data.xml -o data/prepared "
         "python src/prepare.py data/data.xml"),
        "git status -s",
        "dvcdoit status prepare.dvc",
        "doit repro",
        "dvcdoit remote add -d storage ../dvc-storage",
        "dvcdoit status -c",
        "doit push",
        "dvcdoit migrate",
    ):
        assert required in commands, required
    assert not [c for c in commands if c.startswith("cd ")], "commands must not change directory"


class Tutorial:
    """Runs the README's steps in ``repo`` and keeps what each printed."""

    def __init__(self, tmp: Path) -> None:
        self.work = tmp
        self.repo = tmp / "get-started"
        self.remote = tmp / "dvc-storage"
        self.env = tool_env(tmp)
        self.outputs: dict[str, list[str]] = {}
        self.snap: dict[str, float] = {}

    def run(self, step: Step, index: int) -> str:
        proc = subprocess.run(["bash", "-c", step.command], check=False, cwd=self.repo, env=self.env,
                              capture_output=True, text=True, timeout=600)
        out = proc.stdout + proc.stderr
        where = f"step {index} `$ {step.command}`"
        assert proc.returncode == 0, f"{where} exited {proc.returncode}:\n{out}"
        got = {norm(line) for line in out.splitlines()}
        missing = [line for line in step.expected if norm(line) not in got]
        assert not missing, f"{where}: the README shows lines that were not printed: {missing}\n" \
                            f"--- actual output ---\n{out}"
        self.outputs.setdefault(step.command, []).append(out)
        return out


def check_after(t: Tutorial, command: str, nth: int, out: str) -> None:
    """File-level checks after particular commands (``nth``: its 1-based occurrence)."""
    repo, cache = t.repo, t.repo / ".dvc" / "cache"
    if command == "dvcdoit init":
        assert (repo / ".dvc" / "config").is_file()
        assert (repo / ".dvc" / ".gitignore").read_text() == "/config.local\n/tmp\n/cache\n"
        assert (repo / ".dvcignore").is_file()
    elif command == "dvcdoit add data/data.xml":
        o = obj(cache, DATA_MD5)
        assert o.is_file(), f"{o} missing after add"
        assert stat.S_IMODE(o.stat().st_mode) == 0o444
        assert (repo / "data" / ".gitignore").read_text() == "/data.xml\n"
    elif command.startswith("dvcdoit run -f prepare.dvc"):
        assert sorted(p.name for p in (repo / "data" / "prepared").iterdir()) == \
            ["test.tsv", "train.tsv"]
        text = (repo / "prepare.dvc").read_text()
        assert "cmd: python src/prepare.py data/data.xml" in text
        for path in ("path: src/prepare.py", "path: data/data.xml", "path: data/prepared"):
            assert path in text, f"prepare.dvc lacks {path!r}:\n{text}"
        for name in (PREPARED_DIR, TRAIN_MD5, TEST_MD5):
            assert obj(cache, name).is_file(), name
        t.snap["prepared_mtime"] = (repo / "data" / "prepared" / "train.tsv").stat().st_mtime_ns
    elif command == "doit repro" and nth == 1:
        assert executed_tasks(out) == [], f"the first doit repro must run nothing:\n{out}"
    elif command == "doit push" and nth == 1:
        for name in (DATA_MD5, PREPARED_DIR, TRAIN_MD5, TEST_MD5):
            assert obj(t.remote, name).is_file(), f"{name} not pushed to {t.remote}"
    elif command == "doit repro" and nth == 2:
        assert executed_tasks(out) == ["repro:featurize", "repro:train", "repro:evaluate"], out
        lock = (repo / "dvc.lock").read_text()
        assert lock.startswith("schema: '2.0'\nstages:\n"), lock
        for name in ("featurize:", "train:", "evaluate:"):
            assert f"\n  {name}\n" in lock
        assert "featurize.max_features: 100" in lock
        assert json.loads((repo / "eval" / "metrics.json").read_text())["accuracy"] == 0.9682
        assert (repo / ".gitignore").read_text() == "/model.json\n"
        assert (repo / "data" / ".gitignore").read_text() == "/data.xml\n/prepared\n/features\n"
    elif command == "doit repro" and nth == 3:
        assert executed_tasks(out) == ["repro:featurize", "repro:train", "repro:evaluate"], out
        assert "featurize.max_features: 200" in (repo / "dvc.lock").read_text()
        mtime = (repo / "data" / "prepared" / "train.tsv").stat().st_mtime_ns
        assert mtime == t.snap["prepared_mtime"], "prepare.dvc ran again"
    elif command == "dvcdoit migrate":
        assert not (repo / "prepare.dvc").exists()
        assert "\n  prepare:\n" in (repo / "dvc.yaml").read_text()
        assert "\n  prepare:\n" in (repo / "dvc.lock").read_text()
    elif command == "doit repro" and nth == 4:
        assert executed_tasks(out) == [], f"doit repro after migrate must run nothing:\n{out}"
        assert "repro:prepare" in uptodate_tasks(out)
    elif "dvcdoit pull" in command:
        clone = t.work / "get-started-clone"
        for rel in ("data/data.xml", "data/prepared/train.tsv", "data/features/vocab.txt",
                    "model.json"):
            assert (clone / rel).is_file(), f"pull did not restore {rel}"
        assert (clone / "model.json").read_bytes() == (repo / "model.json").read_bytes()
    elif "doit repro" in command:
        assert executed_tasks(out) == [], f"doit repro in a fresh clone must run nothing:\n{out}"


def test_readme_commands_run_as_written(tmp_path: Path) -> None:
    t = Tutorial(tmp_path)
    t.repo.mkdir()
    for item in ("src", "params.yaml"):
        subprocess.run(["cp", "-r", str(EXAMPLE / item), str(t.repo)], check=True)
    subprocess.run(["git", "init", "-q", str(t.repo)], check=True)
    seen: dict[str, int] = {}
    for index, step in enumerate(extract_steps(README.read_text()), 1):
        out = t.run(step, index)
        seen[step.command] = seen.get(step.command, 0) + 1
        check_after(t, step.command, seen[step.command], out)
    assert seen.get("doit repro") == 4
    assert executed_tasks(t.outputs["(cd ../get-started-clone && doit repro)"][0]) == []
    # Nothing left behind for git but ignored files, and real DVC 3 agrees that all is clean.
    status = subprocess.run(["git", "status", "--porcelain"], cwd=t.repo, env=t.env,
                            capture_output=True, text=True, check=True).stdout
    leftover = [ln for ln in status.splitlines() if not ln.startswith("?? __pyc")]
    assert leftover == [], status
    dvc_bin = _find_dvc()
    if dvc_bin and Path(dvc_bin).exists():
        for where in (t.repo, t.work / "get-started-clone"):
            for args in (["status"], ["repro"]):
                proc = subprocess.run([dvc_bin, *args], check=False, cwd=where, env=t.env,
                                      capture_output=True, text=True)
                out = proc.stdout + proc.stderr
                assert proc.returncode == 0, f"dvc {args[0]} in {where}: {out}"
                assert "Data and pipelines are up to date." in out, f"dvc {args[0]}: {out}"
                assert "Running stage" not in out, out


def test_run_sh_runs_the_whole_tutorial(tmp_path: Path) -> None:
    env = tool_env(tmp_path)
    proc = subprocess.run(["bash", str(EXAMPLE / "run.sh"), str(tmp_path / "w")],
                          check=False, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    repo = tmp_path / "w" / "get-started"
    assert json.loads((repo / "eval" / "metrics.json").read_text())["accuracy"] == 0.9758
    assert obj(tmp_path / "w" / "dvc-storage", DATA_MD5).is_file()
    assert "== done" in proc.stdout

