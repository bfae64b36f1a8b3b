"""A 4-stage pipeline like DVC's tutorial (prepare → featurize → train → evaluate) for the
experiment tests: tiny scripts, a params.yaml with comments and a flow list."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import write_tree

PARAMS = """\
# top comment
prepare:
  split: 0.2  # inline
  seed: 20150
featurize:
  max_features: 100
  ngrams: 1
train:
  seed: 20170
  n_est: 50
  min_split: 0.01
  sleep: 0
  layers: [1, 2, 3]
"""

PREPARE = """\
import os, yaml
p = yaml.safe_load(open("params.yaml"))["prepare"]
os.makedirs("data/prepared", exist_ok=True)
t = open("data/data.txt").read()
open("data/prepared/train.txt", "w").write(t * int(1 + p["split"] * 10))
"""
FEATURIZE = """\
import os, yaml
p = yaml.safe_load(open("params.yaml"))["featurize"]
os.makedirs("data/features", exist_ok=True)
t = open("data/prepared/train.txt").read()
open("data/features/f.txt", "w").write(str(len(t) * p["max_features"] * p["ngrams"]))
"""
TRAIN = """\
import time, yaml
p = yaml.safe_load(open("params.yaml"))["train"]
time.sleep(p["sleep"])
f = int(open("data/features/f.txt").read())
open("model.pkl", "w").write(str(f * p["n_est"]))
"""
EVALUATE = """\
import json
m = int(open("model.pkl").read())
json.dump({"avg_prec": m % 97 / 97, "roc_auc": m % 89 / 89}, open("eval.json", "w"))
"""

DVC_YAML = """\
stages:
  prepare:
    cmd: python src/prepare.py
    deps:
    - data/data.txt
    - src/prepare.py
    params:
    - prepare.split
    - prepare.seed
    outs:
    - data/prepared
  featurize:
    cmd: python src/featurize.py
    deps:
    - data/prepared
    - src/featurize.py
    params:
    - featurize.max_features
    - featurize.ngrams
    outs:
    - data/features
  train:
    cmd: python src/train.py
    deps:
    - data/features
    - src/train.py
    params:
    - train.seed
    - train.n_est
    - train.min_split
    - train.sleep
    outs:
    - model.pkl
  evaluate:
    cmd: python src/evaluate.py
    deps:
    - model.pkl
    - src/evaluate.py
    metrics:
    - eval.json:
        cache: false
"""


def git(root: Path, *args: str) -> str:
    """``git ARGS`` in ``root``; its stdout."""
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                          check=True).stdout.strip()


def make_pipeline(root: Path, run: object) -> str:
    """Write the pipeline in the git repo ``root``, reproduce it with ``run`` (a Runner of
    dvcdoit) and commit everything; the baseline commit."""
    write_tree(root, {"params.yaml": PARAMS, "dvc.yaml": DVC_YAML, "data/data.txt": "hello "
                      "world foo bar\n", "src/prepare.py": PREPARE,
                      "src/featurize.py": FEATURIZE, "src/train.py": TRAIN,
                      "src/evaluate.py": EVALUATE})
    run("init", "-q")  # type: ignore[operator]
    run("repro", "-q")  # type: ignore[operator]
    git(root, "add", "-A")
    git(root, "commit", "-qm", "baseline")
    return git(root, "rev-parse", "HEAD")


def exp_ref(baseline: str, name: str) -> str:
    """DVC's ref of experiment ``name`` on ``baseline``."""
    return f"refs/exps/{baseline[:2]}/{baseline[2:]}/{name}"
