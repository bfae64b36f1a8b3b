"""Train a multinomial naive Bayes classifier on the count vectors.

Reads ``train.tsv`` from the features directory and writes the model as JSON:
class log-priors and per-feature log-likelihoods with Laplace smoothing
``train.alpha`` from params.yaml. Standard library only, deterministic.

Usage: python src/train.py data/features model.json
"""

from __future__ import annotations

import json
import math
import os
import sys


def load_params(section: str, path: str = "params.yaml") -> dict[str, str]:
    """Read one section of the simple two-level params.yaml (no PyYAML needed)."""
    params: dict[str, str] = {}
    current = None
    with open(path, encoding="utf-8") as fd:
        for raw in fd:
            line = raw.split("#", 1)[0].rstrip()
            if not line.strip():
                continue
            if not line.startswith(" "):
                current = line.rstrip(":").strip()
            elif current == section:
                key, _, value = line.strip().partition(":")
                params[key.strip()] = value.strip()
    return params


def read_vectors(path: str) -> list[tuple[int, dict[int, int]]]:
    """Parse ``label<TAB>i:c i:c`` lines."""
    rows = []
    with open(path, encoding="utf-8") as fd:
        for line in fd:
            label, _, feats = line.rstrip("\n").partition("\t")
            vec = {int(i): int(c) for i, c in (f.split(":") for f in feats.split())}
            rows.append((int(label), vec))
    return rows


def main() -> None:
    if len(sys.argv) != 3:
        sys.stderr.write("usage: python src/train.py features-dir model.json\n")
        sys.exit(1)
    feat_dir, model_path = sys.argv[1], sys.argv[2]
    alpha = float(load_params("train")["alpha"])
    with open(os.path.join(feat_dir, "vocab.txt"), encoding="utf-8") as fd:
        n_features = sum(1 for _ in fd)
    rows = read_vectors(os.path.join(feat_dir, "train.tsv"))
    docs = [0, 0]
    counts = [[0] * n_features, [0] * n_features]
    for label, vec in rows:
        docs[label] += 1
        for i, c in vec.items():
            counts[label][i] += c
    model = {"n_features": n_features, "alpha": alpha,
             "log_prior": [round(math.log(d / len(rows)), 10) for d in docs],
             "log_likelihood": []}
    for cls in (0, 1):
        total = sum(counts[cls]) + alpha * n_features
        model["log_likelihood"].append(
            [round(math.log((c + alpha) / total), 10) for c in counts[cls]])
    with open(model_path, "w", encoding="utf-8", newline="\n") as fd:
        json.dump(model, fd)
    print(f"train: naive Bayes on {len(rows)} rows, {n_features} features, alpha={alpha}")


if __name__ == "__main__":
    main()
