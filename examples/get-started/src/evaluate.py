"""Score the model on the test features and write the metrics as JSON.

Writes ``{"accuracy", "precision", "recall", "f1"}`` (rounded to 4 places) for
the ``python`` class. Standard library only, deterministic.

Usage: python src/evaluate.py model.json data/features eval/metrics.json
"""

from __future__ import annotations

import json
import os
import sys


def predict(model: dict, vec: dict[int, int]) -> int:
    """Return the class with the larger log-posterior (ties go to 0)."""
    scores = [model["log_prior"][k] + sum(model["log_likelihood"][k][i] * c for i, c in vec.items())
              for k in (0, 1)]
    return 1 if scores[1] > scores[0] else 0


def main() -> None:
    if len(sys.argv) != 4:
        sys.stderr.write("usage: python src/evaluate.py model.json features-dir metrics.json\n")
        sys.exit(1)
    model_path, feat_dir, metrics_path = sys.argv[1:]
    with open(model_path, encoding="utf-8") as fd:
        model = json.load(fd)
    tp = fp = fn = tn = 0
    with open(os.path.join(feat_dir, "test.tsv"), encoding="utf-8") as fd:
        for line in fd:
            label, _, feats = line.rstrip("\n").partition("\t")
            vec = {int(i): int(c) for i, c in (f.split(":") for f in feats.split())}
            pred, truth = predict(model, vec), int(label)
            tp += pred and truth
            fp += pred and not truth
            fn += truth and not pred
            tn += not pred and not truth
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    metrics = {"accuracy": round((tp + tn) / (tp + fp + fn + tn), 4),
               "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}
    os.makedirs(os.path.dirname(metrics_path) or ".", exist_ok=True)
    with open(metrics_path, "w", encoding="utf-8", newline="\n") as fd:
        json.dump(metrics, fd, indent=2)
        fd.write("\n")
    print(f"evaluate: {metrics}")


if __name__ == "__main__":
    main()
