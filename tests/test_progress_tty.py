"""Progress bars on a real terminal: tmux runs dvcdoit in a pane, capture-pane reads the screen.

A bar shows a total, a percentage and an ETA once the total is known (files for hashing,
checkout and transfers), is redrawn at most about 10 times a second, and is gone from the
screen when the verb ends. ``pipe-pane`` keeps every byte written to the pane, so the test
sees each redraw even when the work is done before a screen capture could catch it.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import DVC_ENV

FILES = 3000

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None,
                                reason="tmux is not installed (Debian's package tmux)")


class Pane:
    """A detached tmux server of our own (its own socket) with one 160×30 pane in ``cwd``."""

    def __init__(self, tmp: Path, cwd: Path) -> None:
        self.socket = str(tmp / "tmux.sock")
        self.log = tmp / "pane.log"
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in DVC_ENV.items())
        path = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
        root = str(Path(__file__).resolve().parents[1])
        self._tmux("new-session", "-d", "-x", "160", "-y", "30", "-c", str(cwd),
                   f"env {env} PATH={shlex.quote(path)} PYTHONPATH={shlex.quote(root)} "
                   "TERM=xterm-256color bash --norc --noprofile")
        self._tmux("pipe-pane", "-o", f"cat >> {shlex.quote(str(self.log))}")

    def _tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-S", self.socket, *args], check=True,
                              capture_output=True, text=True).stdout

    def run(self, command: str, timeout: float = 60) -> float:
        """Type ``command`` into the pane, wait until it ended; return how long it took."""
        start = time.monotonic()
        ended = len(re.findall(r"^END-\d+", self.written(), re.MULTILINE))
        self._tmux("send-keys", f"{command}; echo END-$?", "Enter")
        while time.monotonic() - start < timeout:  # NOTE: the log, which lags the screen
            if len(re.findall(r"^END-\d+", self.written(), re.MULTILINE)) > ended:
                return time.monotonic() - start
            time.sleep(0.05)
        pytest.fail(f"{command!r} did not end in {timeout} s:\n{self.screen()}")

    def screen(self) -> str:
        """What the pane shows now (capture-pane)."""
        return self._tmux("capture-pane", "-p")

    def written(self) -> str:
        """Every byte the programs wrote to the pane so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def close(self) -> None:
        """Stop the tmux server."""
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], check=False,
                       capture_output=True)


@pytest.fixture
def pane(git_repo: Path, tmp_path: Path) -> Iterator[Pane]:
    """A pane in a fresh git repo that holds ``many/`` with :data:`FILES` small files."""
    many = git_repo / "many"
    many.mkdir()
    for i in range(FILES):
        (many / f"f{i:05d}").write_text(f"{i}\n" * 8)
    p = Pane(tmp_path, git_repo)
    try:
        yield p
    finally:
        p.close()


def _redraws(written: str, desc: str) -> list[str]:
    """The bar lines (one per redraw) whose description starts with ``desc``."""
    return [part for part in re.split(r"[\r\n]", written) if desc in part and "|" in part]


def test_bars_show_totals_and_eta_and_leave_no_trace(pane: Pane) -> None:
    pane.run("python -m dvcdoit init -q")
    took = pane.run("python -m dvcdoit add many")
    bars = _redraws(pane.written(), "Adding many")
    assert bars, pane.written()
    total = [b for b in bars if "/3.00k" in b]
    assert total, bars  # NOTE: the total once the hasher knows the file list
    assert re.search(r"\d+%\|.{10}\|Adding many\s+[\d.]+k?/3\.00k \[\d\d:\d\d<", total[-1])
    # NOTE: the count is scaled ('8.12k file', never '8123file'); a rate below 1000/s is
    # tqdm's '790file/s', as in DVC's bars, so the rate is not part of the check
    assert not any(re.search(r"\d+file\b(?!/s)", b) for b in bars), bars
    assert len(bars) <= 10 * took + 5, (len(bars), took)
    screen = pane.screen()
    assert "To track the changes with git, run:" in screen
    assert "Adding many" not in screen  # NOTE: leave=False: the bar is cleared at the end
    assert "END-0" in screen


def test_transfer_and_checkout_bars_count_files(pane: Pane, tmp_path: Path) -> None:
    remote = tmp_path / "remote"
    pane.run("python -m dvcdoit init -q && python -m dvcdoit add -q many")
    pane.run(f"python -m dvcdoit remote add -d r {remote}")
    pane.run("python -m dvcdoit push")
    pushed = _redraws(pane.written(), "Pushing")
    assert any("/3.00k" in b and "%|" in b for b in pushed), pushed  # 3000 files + 1 .dir
    pane.run("rm -rf many .dvc/cache && python -m dvcdoit pull")
    pulled = _redraws(pane.written(), "Pulling")
    assert any(re.search(r"\d+%\|", b) for b in pulled), pulled
    assert "END-0" in pane.screen()
