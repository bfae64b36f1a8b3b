"""``plots show`` and ``plots templates`` (issue 12.4): ``--json`` as real DVC 3.67.1 prints it,
and the page rendered by headless Chromium from a ``file://`` URL with the network off."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Runner, write_tree

ACC_AND_LOSS = """\
plots:
- acc.json:
    x: step
    y: acc
- loss.csv
"""
"""The first plots of every plots test: a file with x/y, a file with DVC's defaults."""
PIPELINE = ACC_AND_LOSS + """\
- confusion:
    template: confusion
    x: actual
    y:
      classes.csv: predicted
"""
FILES = {"dvc.yaml": PIPELINE,
         "acc.json": '[{"step": 0, "acc": 0.1}, {"step": 1, "acc": 0.5}]\n',
         "loss.csv": "step,loss\n0,1.0\n1,0.4\n2,0.3\n",
         "classes.csv": "actual,predicted\na,a\na,b\nb,b\n"}


@pytest.fixture
def repo(git_repo: Path, dvc: Runner) -> Path:
    dvc("init", "-q")
    write_tree(git_repo, FILES)
    return git_repo


def test_json_is_dvcs(repo: Path, dvc: Runner, dvcdoit: Runner) -> None:
    want = dvc("plots", "show", "--json")
    got = dvcdoit("plots", "show", "--json")
    assert json.loads(got.stdout) == json.loads(want.stdout)
    assert got.stdout == want.stdout


def test_a_bad_file_is_an_error_entry_and_the_others_still_show(repo: Path, dvc: Runner,
                                                                dvcdoit: Runner) -> None:
    (repo / "acc.json").write_text("{nope")
    want = json.loads(dvc("plots", "show", "--json").stdout)
    got = json.loads(dvcdoit("plots", "show", "--json").stdout)
    assert got == want
    assert any(e["type"] == "JSONFileCorruptedError" for e in got["errors"])


def test_templates_are_dvcs(repo: Path, dvc: Runner, dvcdoit: Runner) -> None:
    assert dvcdoit("plots", "templates").stdout == dvc("plots", "templates").stdout
    for name in ("linear", "confusion", "bar_horizontal_sorted"):
        assert json.loads(dvcdoit("plots", "templates", name).stdout) == \
            json.loads(dvc("plots", "templates", name).stdout)


def test_the_page_prints_its_url_and_loads_nothing_from_the_network(repo: Path,
                                                                    dvcdoit: Runner) -> None:
    out = dvcdoit("plots", "show", "-o", "page").stdout
    assert out == f"file://{repo / 'page' / 'index.html'}\n"
    text = (repo / "page/index.html").read_text()
    assert not re.search(r"<script[^>]*\bsrc=", text)
    assert "vegaEmbed" in text


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("no chromium on this machine (scripts/test.sh installs it with apt-get)")
    return exe


def _marks(dom: str, kind: str) -> list[int]:
    """How many drawn items each ``kind`` mark group of the rendered SVGs holds."""
    groups = re.finditer(rf'<g class="mark-{kind} role-mark[^"]*"[^>]*>(.*?)</g>', dom, re.DOTALL)
    return [m.group(1).count("<path") for m in groups]


def test_the_page_renders_offline_in_chromium(repo: Path, dvcdoit: Runner) -> None:
    exe = _chromium()
    dvcdoit("plots", "show")
    page = repo / "dvc_plots/index.html"
    proc = subprocess.run(
        [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
         "--enable-logging=stderr", "--v=0", "--virtual-time-budget=15000",
         f"--user-data-dir={repo / '.chromium'}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False)
    dom = proc.stdout
    assert len(re.findall(r'<svg[^>]*class="marks"', dom)) == 3, proc.stderr[-2000:]
    assert _marks(dom, "line")[:2] == [1, 1]  # NOTE: one line per series in each linear plot
    assert sum(_marks(dom, "rect")) >= 3  # NOTE: the confusion matrix's cells
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    bad = [line for line in console if re.search(r'Uncaught|"ERROR|Failed to load', line)]
    assert not bad


def test_a_plot_outside_the_repo_is_not_read(repo: Path, dvcdoit: Runner) -> None:
    (repo.parent / "secret.csv").write_text("step,pin\n0,1234\n")
    (repo / "dvc.yaml").write_text("plots:\n- ../secret.csv\n- loss.csv\n")
    got = json.loads(dvcdoit("plots", "show", "--json").stdout)
    assert "1234" not in json.dumps(got)
    assert [e["type"] for e in got["errors"]] == ["FileNotFoundError"]
    assert got["data"]["loss.csv"]


@pytest.mark.parametrize(("plots", "where"), [
    ("- {a.csv: {}, b.csv: {}}", "plots[0]: expected a file name, or one name mapped"),
    ("- a.csv: [x]", "plots[0]: expected a file name, or one name mapped"),
    ("- a.csv: {y: {b: 3}}", "plots[0].y.b: expected a field name or a list of them"),
    ("  a.csv: {}", "plots: expected a list of plots"),
])
def test_a_malformed_plot_entry_is_one_line(repo: Path, dvcdoit: Runner, plots: str,
                                            where: str) -> None:
    (repo / "dvc.yaml").write_text(f"plots:\n{plots}\n")
    got = dvcdoit("plots", "show", "--json", check=False)
    assert got.returncode == 3
    assert got.stderr.startswith(f"ERROR: dvc.yaml:{where}")
    assert len(got.stderr.splitlines()) == 1
