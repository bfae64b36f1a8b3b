"""``plots show --format png|svg`` (issue 12.4): one picture per plot, drawn by vl-convert."""

from __future__ import annotations

import struct
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.conftest import Runner, write_tree
from tests.test_plots import ACC_AND_LOSS

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PIPELINE = ACC_AND_LOSS + "- logo.png\n"


@pytest.fixture
def repo(git_repo: Path, dvcdoit: Runner) -> Path:
    dvcdoit("init", "-q")
    write_tree(git_repo, {"dvc.yaml": PIPELINE,
                          "acc.json": '[{"step": 0, "acc": 0.1}, {"step": 1, "acc": 0.5},'
                                      ' {"step": 2, "acc": 0.7}]\n',
                          "loss.csv": "step,loss\n0,1.0\n1,0.4\n2,0.3\n",
                          "logo.png": PNG_MAGIC + b"not really an image"})
    return git_repo


def test_svg_pictures_draw_every_point(repo: Path, dvcdoit: Runner) -> None:
    out = dvcdoit("plots", "show", "--format", "svg", "-o", "pics").stdout.splitlines()
    assert sorted(Path(p).name for p in out) == ["acc_json.svg", "logo_png.png", "loss_csv.svg"]
    for name in ("acc_json.svg", "loss_csv.svg"):
        root = ElementTree.parse(repo / "pics" / name).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        text = (repo / "pics" / name).read_text()
        assert "step" in text  # NOTE: the x axis title
    # NOTE: the linear template draws a line and one point per datapoint
    assert (repo / "pics/acc_json.svg").read_text().count('role="graphics-symbol"') >= 3
    assert (repo / "pics/logo_png.png").read_bytes() == (repo / "logo.png").read_bytes()


def test_png_pictures_are_real_pngs(repo: Path, dvcdoit: Runner) -> None:
    dvcdoit("plots", "show", "--format", "png", "-o", "pics", "acc.json")
    data = (repo / "pics/acc_json.png").read_bytes()
    assert data.startswith(PNG_MAGIC)
    width, height = struct.unpack(">II", data[16:24])  # NOTE: the IHDR chunk
    assert width > 100 and height > 100
    # NOTE: as in DVC, the target is the dvc.yaml definition and the file drawn by itself
    assert sorted(p.name for p in (repo / "pics").iterdir()) == ["acc_json.png",
                                                                 "dvc_yaml__acc_json.png"]


def test_without_the_extra_one_line_names_it(repo: Path, dvcdoit: Runner,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "vl_convert", None)  # NOTE: import raises ImportError
    proc = dvcdoit("plots", "show", "--format", "svg", check=False)
    assert proc.returncode == 3  # NOTE: EXIT_USER_ERROR
    assert proc.stderr == ("ERROR: --format svg needs vl-convert-python: "
                           "pip install 'dvcdoit[plots]'\n")
    assert not (repo / "dvc_plots").exists()
