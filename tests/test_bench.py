"""The benchmark's own plumbing: the docs block it rewrites, and a smoke run at tiny size."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("dvcdoit_bench_run", ROOT / "bench" / "run.py")
assert _spec is not None and _spec.loader is not None
bench_run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_run)
write_doc = bench_run.write_doc
BEGIN, END = bench_run.markers("quick")


def test_write_doc_replaces_only_the_generated_block(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# Benchmarks\n\nhand-written intro\n\n{BEGIN}\nold\n{END}\n\n## Notes\nkept\n")
    write_doc(doc, f"{BEGIN}\nnew\n{END}\n", "quick")
    assert doc.read_text() == (f"# Benchmarks\n\nhand-written intro\n\n{BEGIN}\nnew\n{END}\n\n"
                               "## Notes\nkept\n")
    full_w6 = bench_run.markers("full W6")
    write_doc(doc, f"{full_w6[0]}\nw6\n{full_w6[1]}\n", "full W6")
    text = doc.read_text()
    assert f"{BEGIN}\nnew\n{END}" in text and text.endswith(f"{full_w6[0]}\nw6\n{full_w6[1]}\n")


def test_write_doc_appends_when_there_is_no_block(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\nfigures by hand\n")
    write_doc(doc, f"{BEGIN}\nnew\n{END}\n", "quick")
    assert doc.read_text() == f"# Benchmarks\n\nfigures by hand\n\n{BEGIN}\nnew\n{END}\n"
    new = tmp_path / "sub" / "fresh.md"
    write_doc(new, f"{BEGIN}\nx\n{END}\n", "quick")
    assert new.read_text().startswith("# Benchmarks") and new.read_text().endswith(f"{END}\n")


@pytest.mark.interop
def test_tiny_startup_run_prints_both_tools(tmp_path: Path, dvc: object) -> None:
    out = tmp_path / "bench.md"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--tiny", "--only",
                           "W7", "--workdir", str(tmp_path / "work"), "--output", str(out)],
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = out.read_text()
    assert "<!-- bench:begin tiny W7 -->" in text and "## Results (tiny size, W7 only)" in text
    row = next(ln for ln in text.splitlines() if ln.startswith("| W7 |"))
    cells = [c.strip() for c in row.split("|")]
    assert cells[3].endswith(" s") and cells[4].endswith(" s"), row  # dvcdoit and DVC medians
    assert cells[5].endswith("×"), row
    assert "cores (nproc): " in text and "Failed runs" not in text
    assert not (tmp_path / "work").exists(), "the work dir is removed at the end"



@pytest.mark.interop
def test_scale_sweep_at_200_files_measures_every_command_of_both_tools(tmp_path: Path,
                                                                        dvc: object) -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "scale.py"), "--sizes", "200",
                           "--no-write", "--workdir", str(tmp_path / "work")],
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "<!-- bench:begin scale -->" in proc.stdout and "Failed runs" not in proc.stdout
    rows = [ln for ln in proc.stdout.splitlines() if ln.startswith("| 200 |")]
    ops = [r.split("|")[2].strip() for r in rows]
    assert len(ops) == 10 and ops[0] == "add" and ops[-1] == "status -c", ops
    for row in rows:
        cells = [c.strip() for c in row.split("|")]
        assert cells[3].endswith(" s") and cells[4].endswith(" s"), row  # both tools timed
        assert cells[7].endswith(" MiB") and cells[8].endswith(" MiB"), row  # both peak RSS
    assert not (tmp_path / "work").exists(), "the work dir is removed at the end"
