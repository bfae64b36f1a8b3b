"""Classic single-stage .dvc files: the §10 stage-md5 vector, parsing 0.x/2.x forms, writing."""

from __future__ import annotations

from pathlib import Path

import pytest

from dvcdoit.core.errors import FormatError
from dvcdoit.core.hashing import LEGACY, MD5, HashInfo
from dvcdoit.formats import _yaml
from dvcdoit.formats.lock import LockEntry, LockItem
from dvcdoit.formats.pipeline import Out, StageDef
from dvcdoit.formats.stagefile import (
    compute_stage_md5,
    dump_stagefile,
    parse_stagefile,
)

DVC2 = """\
md5: 48de5ecc67ca489d0324b0c4704d257d
cmd: 'cat crlf.txt > out.txt && echo "{\\"a\\": 1}" > metric.json'
deps:
- md5: f47c75614087a8dd938ba4acff252494
  size: 9
  path: crlf.txt
outs:
- md5: a01637863c1f9585c3e38cde6ce20940
  size: 9
  path: metric.json
  cache: false
  metric: true
- md5: f47c75614087a8dd938ba4acff252494
  size: 9
  path: out.txt
"""

DVC0 = """\
md5: 0123
cmd: python prepare.py
wdir: .
locked: true
deps:
- md5: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
  path: data.xml
outs:
- md5: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.dir
  path: prepared
  cache: true
  metric: false
  persist: false
"""


def test_stage_md5_vector() -> None:
    data = _yaml.loads(DVC2, "prepare.dvc")
    assert compute_stage_md5(data) == "48de5ecc67ca489d0324b0c4704d257d"
    ss = parse_stagefile(data, "prepare.dvc")
    assert not ss.changed_checksum
    assert ss.stage.addressing == "prepare.dvc"
    assert ss.stage.outs[0] == Out("metric.json", "metrics", cache=False,
                                   flags=(("cache", False),))
    assert ss.lock.dep("crlf.txt") == LockItem(
        "crlf.txt", HashInfo(LEGACY, "f47c75614087a8dd938ba4acff252494"), 9)


def test_dvc0_form() -> None:
    ss = parse_stagefile(_yaml.loads(DVC0, "sub/prep.dvc"), "sub/prep.dvc")
    assert ss.stage.frozen  # locked: true
    assert ss.stage.wdir == "sub"
    assert ss.stage.repo_path("data.xml") == "sub/data.xml"
    assert ss.changed_checksum


def test_write_then_read(tmp_path: Path) -> None:
    stage = StageDef("prepare.dvc", "python src/prepare.py data/data.xml", file="prepare.dvc",
                     deps=("src/prepare.py", "data/data.xml"),
                     outs=(Out("data/prepared"), Out("m.json", "metrics", cache=False)))
    h = HashInfo(MD5, "b1946ac92492d2347c6235b4d2611184")
    entry = LockEntry(stage.cmd, (LockItem("src/prepare.py", h, 6), LockItem("data/data.xml", h, 6)),
                      {}, (LockItem("data/prepared", HashInfo(MD5, "d751713988987e9331980363e24189ce.dir"),
                                    0, 0), LockItem("m.json", h, 6)))
    dump_stagefile(tmp_path, stage, entry)
    text = (tmp_path / "prepare.dvc").read_text()
    assert text.startswith("md5: ")
    assert "- md5: b1946ac92492d2347c6235b4d2611184\n  size: 6\n  hash: md5\n  path: m.json\n" \
           "  cache: false\n  metric: true\n" in text
    ss = parse_stagefile(_yaml.load_file(str(tmp_path / "prepare.dvc"), "prepare.dvc"), "prepare.dvc")
    assert not ss.changed_checksum
    assert ss.stage == stage.__class__(**{**stage.__dict__, "wdir_def": ".",
                                          "outs": ss.stage.outs})
    assert ss.lock.out("data/prepared") == entry.outs[0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("deps: []\n", "x.dvc:cmd: required: a non-empty string"),
        ("cmd: x\nbogus: 1\nouts:\n- path: o\n  weird: 2\n",
         "x.dvc:bogus: extra keys not allowed; x.dvc:outs[0].weird: extra keys not allowed"),
        ("cmd: x\nouts:\n- md5: ../../../outside/secret\n  path: o\n",
         ("x.dvc:outs[0].md5: '../../../outside/secret' is not an md5 hash (32 hex digits, "
         "optionally followed by '.dir')")),
        ("cmd: x\ndeps:\n- md5: [1]\n  path: i\n", "x.dvc:deps[0].md5: expected a string"),
        ("cmd: x\nouts:\n- path: .dvc/config\n",
         "x.dvc:outs[0]: output '.dvc/config' is inside .dvc/; outputs must lie outside .dvc/ and .git/"),
        ("cmd: x\nwdir: sub/..\nouts:\n- path: ./.git/HEAD\n",
         "x.dvc:outs[0]: output './.git/HEAD' is inside .git/; outputs must lie outside .dvc/ and .git/"),
        ("cmd: x\nouts:\n- path: ../o\n", "x.dvc:outs[0]: output '../o' is outside the repo"),
        ("cmd: x\nwdir: ..\n", "x.dvc:wdir: '..' is outside the repo"),
        ("cmd: x\nouts: 5\n", "x.dvc:outs: expected a list"),
        ("cmd: x\ndeps: {a: 1}\n", "x.dvc:deps: expected a list"),
    ],
)
def test_errors(text: str, message: str) -> None:
    with pytest.raises(FormatError) as exc:
        parse_stagefile(_yaml.loads(text, "x.dvc"), "x.dvc")
    assert str(exc.value) == message
