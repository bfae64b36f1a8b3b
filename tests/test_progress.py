"""Progress bars: drawn on a terminal's stderr for large work, silent otherwise."""

from __future__ import annotations

import io
import os
import pty
import select
import sys

import pytest

from dvcdoit.core.progress import bar


def test_no_bar_when_not_a_tty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "__stderr__", io.StringIO())
    with bar(10_000, "x") as advance:
        assert advance is None


def test_bar_on_a_tty_and_only_for_enough_work(monkeypatch: pytest.MonkeyPatch) -> None:
    leader, follower = pty.openpty()
    tty = os.fdopen(follower, "w")
    monkeypatch.setattr(sys, "__stderr__", tty)
    try:
        with bar(10, "small") as advance:
            assert advance is None
        with bar(1000, "Adding data") as advance:
            assert advance is not None
            advance(1000)
        tty.flush()
        ready, _, _ = select.select([leader], [], [], 5)
        drawn = os.read(leader, 65536).decode(errors="replace") if ready else ""
    finally:
        tty.close()
        os.close(leader)
    assert "Adding data" in drawn
    assert "/1.00k" in drawn
