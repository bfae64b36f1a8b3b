"""``-S`` rewrites of params.yaml, pinned to what ``dvc==3.67.1 exp run -S`` wrote (measured)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dvcdoit.verbs import expparams

BEFORE = """\
# top comment
prepare:
  split: 0.2  # inline
train:
  seed: 20170
  n_est: 50
  layers: [1, 2, 3]
# between
other:
    deep:   # c2
        x: 0.010
        y: 1e-3
        z: 'quoted'   # q
        w: "yes"
    f: 1.0
    g: 100000000000000000000.0
    big: 12345678.9
lst:
    - a
    - b: 1
      c: 2
"""

# NOTE: dvc exp run -S prepare.split=0.123456789 -S other.f=2 -S train.n_est=1e3
#       -S train.seed=1e-10 -S other.big=3.0e+20 on BEFORE, byte for byte
AFTER = """\
# top comment
prepare:
  split: 0.123456789 # inline
train:
  seed: 1e-10
  n_est: 1000.0
  layers:
  - 1
  - 2
  - 3
# between
other:
  deep:     # c2
    x: 0.010
    y: 1e-3
    z: quoted         # q
    w: yes
  f: 2
  g: 100000000000000000000.0
  big: 3e+20
lst:
- a
- b: 1
  c: 2
"""


def test_rewrite_is_dvcs(tmp_path: Path) -> None:
    (tmp_path / "params.yaml").write_text(BEFORE)
    expparams.apply(tmp_path, expparams.by_file([
        "prepare.split=0.123456789", "other.f=2", "train.n_est=1e3", "train.seed=1e-10",
        "other.big=3.0e+20"]))
    assert (tmp_path / "params.yaml").read_text() == AFTER


# NOTE: null, true, '12' and abc measured with DVC; `key=` and `++` follow Hydra's grammar
@pytest.mark.parametrize(("spec", "line"), [
    ("train.seed=null", "  seed:\n"),
    ("train.seed=true", "  seed: true\n"),
    ("train.seed='12'", "  seed: '12'\n"),
    ("train.seed=abc", "  seed: abc\n"),
    ("train.seed=", "  seed: ''\n"),
    ("++train.seed=7", "  seed: 7\n"),
])
def test_typed_values(tmp_path: Path, spec: str, line: str) -> None:
    (tmp_path / "params.yaml").write_text(BEFORE)
    expparams.apply(tmp_path, expparams.by_file([spec]))
    assert line in (tmp_path / "params.yaml").read_text()


def test_grid_is_the_product_in_order() -> None:
    sets = expparams.grid(expparams.by_file(["a=1,2", "other.yaml:b=[1,2],x"]))
    assert sets == [{"params.yaml": ["a=1"], "other.yaml": ["b=[1,2]"]},
                    {"params.yaml": ["a=1"], "other.yaml": ["b=x"]},
                    {"params.yaml": ["a=2"], "other.yaml": ["b=[1,2]"]},
                    {"params.yaml": ["a=2"], "other.yaml": ["b=x"]}]


def test_delete_and_bad_overrides_write_nothing(tmp_path: Path) -> None:
    (tmp_path / "params.yaml").write_text(BEFORE)
    expparams.apply(tmp_path, expparams.by_file(["~train.layers"]))
    assert "layers" not in (tmp_path / "params.yaml").read_text()
    text = (tmp_path / "params.yaml").read_text()
    with pytest.raises(expparams.SetParamError, match="Could not delete from config"):
        expparams.apply(tmp_path, expparams.by_file(["train.seed=1", "~nope"]))
    assert (tmp_path / "params.yaml").read_text() == text
