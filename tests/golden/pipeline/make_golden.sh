#!/bin/sh
# Regenerate the golden dvc.lock files with REAL dvc 3.67.1.
# Usage: tests/golden/make_golden.sh [path/to/dvc]   (default: ~/venvs/dvc/bin/dvc)
set -eu
DVC=${1:-${DVCDOIT_DVC_BIN:-$HOME/venvs/dvc/bin/dvc}}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export DVC_NO_ANALYTICS=1 DVC_NO_UPDATE_CHECK=1
cd "$WORK"
git init -q . && "$DVC" init -q
mkdir -p data/raw src
printf 'hello\n' > data/raw/a.txt
printf 'world\n' > data/raw/b.txt
printf 'foo\r\nbar\n' > data/crlf.txt
cat > params.yaml <<'P'
lr: 0.001
small: 1e-3
flag: yes
train:
  epochs: 3
  layers: [1, 2]
  opt:
    name: adam
    beta: 0.9
P
printf '{"a": {"x": 1}, "b": 2}\n' > other.json
cat > dvc.yaml <<'Y'
vars:
  - langs: [en, fr]
stages:
  prepare:
    cmd: mkdir -p out && cat data/raw/a.txt data/raw/b.txt > out/prepared.txt && cp data/crlf.txt out/copy.txt
    deps:
    - data/raw
    - data/crlf.txt
    params:
    - lr
    - train.epochs
    - other.json:
    outs:
    - out
  train:
    cmd:
    - cat out/prepared.txt > model.bin
    - echo '{"acc":0.5}' > metrics.json
    - chmod +x model.bin
    deps:
    - out
    params:
    - train
    - small
    - flag
    outs:
    - model.bin
    metrics:
    - metrics.json:
        cache: false
  per_lang:
    foreach: ${langs}
    do:
      cmd: echo ${item} > lang_${item}.txt
      outs:
      - lang_${item}.txt
  mx:
    matrix:
      f: [a.txt, b.txt]
      n: [1, 2]
    cmd: cat data/raw/${item.f} > mx_${key}.txt
    deps:
    - data/raw/${item.f}
    outs:
    - mx_${key}.txt
  always:
    cmd: date > /dev/null
    always_changed: true
Y
"$DVC" repro
cp dvc.yaml "$HERE/dvc.yaml"
cp params.yaml "$HERE/params.yaml"
cp dvc.lock "$HERE/dvc.lock"
"$DVC" stage add -n added -d data/crlf.txt -d data/raw -p lr,train.epochs -p other.json:a \
  -o zz.txt -O nocache.txt -M m.json --plots-no-cache p.csv -w . --desc "an added stage" \
  "cat data/crlf.txt > zz.txt"
cp dvc.yaml "$HERE/stage_add.dvc.yaml"
echo "golden files written to $HERE"
