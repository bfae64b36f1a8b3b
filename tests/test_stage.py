"""Stage status as data and its DVC rendering (§7.3); shell command building (§8.4)."""

from __future__ import annotations

import pytest

from dvcdoit.pipeline.stage import StageStatus, shell_command
from dvcdoit.verbs.report import render_status


def test_render_matches_dvc_format() -> None:
    st = StageStatus("prepare", {"src/prep.py": "modified", "params.yaml": {"lr": "modified"}},
                     {"metrics.json": "deleted"}, changed_command=True)
    always = StageStatus("always", always_changed=True)
    blocks = {s.name: s.to_json() for s in (st, always, StageStatus("clean")) if s.changed}
    assert render_status(blocks) == [
        "prepare:", "\tchanged deps:", "\t\tmodified:           src/prep.py",
        "\t\tparams.yaml:", "\t\t\tmodified:           lr", "\tchanged outs:",
        "\t\tdeleted:            metrics.json", "\tchanged command", "always:", "\talways changed"]
    assert st.reasons() == ["changed deps: modified: src/prep.py",
                            "changed deps: params.yaml: modified: lr",
                            "changed outs: deleted: metrics.json", "changed command"]
    assert st.to_json() == [{"changed deps": {"src/prep.py": "modified",
                                              "params.yaml": {"lr": "modified"}}},
                            {"changed outs": {"metrics.json": "deleted"}}, "changed command"]


@pytest.mark.parametrize(("shell", "expected"), [
    ("/bin/bash", ["/bin/bash", "--noprofile", "--norc", "-c", "x"]),
    ("/usr/bin/zsh", ["/usr/bin/zsh", "--no-rcs", "-c", "x"]),
    ("", ["/bin/sh", "-c", "x"]),
])
def test_shell_command(monkeypatch: pytest.MonkeyPatch, shell: str, expected: list[str]) -> None:
    monkeypatch.setenv("SHELL", shell)
    assert shell_command("x") == expected
