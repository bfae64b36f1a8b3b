"""Turn the prepared posts into bag-of-words count vectors.

Reads ``train.tsv``/``test.tsv`` from the input directory, builds a vocabulary
of the ``featurize.max_features`` most frequent n-grams (``featurize.ngrams``
≤ 2) of the training set, and writes ``vocab.txt``, ``train.tsv`` and
``test.tsv`` to the output directory. A features line is
``label<TAB>index:count index:count …``. Standard library only, deterministic.

Usage: python src/featurize.py data/prepared data/features
"""

from __future__ import annotations

import os
import re
import sys
from collections import Counter
from itertools import pairwise

TOKEN = re.compile(r"[a-z0-9+#]+")


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


def grams(text: str, ngrams: int) -> list[str]:
    """Lower-cased word 1-grams, plus 2-grams when ``ngrams`` is 2."""
    words = TOKEN.findall(text.lower())
    out = list(words)
    if ngrams >= 2:
        out += [f"{a}_{b}" for a, b in pairwise(words)]
    return out


def read_posts(path: str) -> list[tuple[str, str]]:
    with open(path, encoding="utf-8") as fd:
        return [(label, text) for _, label, text in (ln.rstrip("\n").split("\t", 2) for ln in fd)]


def main() -> None:
    if len(sys.argv) != 3:
        sys.stderr.write("usage: python src/featurize.py prepared-dir features-dir\n")
        sys.exit(1)
    in_dir, out_dir = sys.argv[1], sys.argv[2]
    params = load_params("featurize")
    max_features, ngrams = int(params["max_features"]), int(params["ngrams"])
    train = read_posts(os.path.join(in_dir, "train.tsv"))
    test = read_posts(os.path.join(in_dir, "test.tsv"))
    counts: Counter[str] = Counter()
    for _, text in train:
        counts.update(grams(text, ngrams))
    vocab = [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:max_features]]
    index = {w: i for i, w in enumerate(vocab)}
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "vocab.txt"), "w", encoding="utf-8", newline="\n") as fd:
        fd.writelines(f"{w}\n" for w in vocab)
    for name, posts in (("train.tsv", train), ("test.tsv", test)):
        with open(os.path.join(out_dir, name), "w", encoding="utf-8", newline="\n") as fd:
            for label, text in posts:
                vec = Counter(index[g] for g in grams(text, ngrams) if g in index)
                fd.write(label + "\t" + " ".join(f"{i}:{c}" for i, c in sorted(vec.items())) + "\n")
    print(f"featurize: {len(vocab)} features, {len(train)} train and {len(test)} test rows")


if __name__ == "__main__":
    main()
