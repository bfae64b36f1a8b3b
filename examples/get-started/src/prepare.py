"""Split the XML dump of posts into data/prepared/train.tsv and test.tsv.

Each output line is ``Id<TAB>label<TAB>text`` where label is 1 when the post is
tagged ``python``. The split ratio and the random seed come from the
``prepare`` section of params.yaml. Standard library only.

Usage: python src/prepare.py data/data.xml
"""

from __future__ import annotations

import os
import random
import re
import sys
import xml.etree.ElementTree as ET

TARGET_TAG = "<python>"


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


def process_posts(lines: list[str], split: float, seed: int) -> tuple[list[str], list[str]]:
    """Return (train, test) TSV lines; rows that do not parse are skipped with a warning."""
    rng = random.Random(seed)
    train: list[str] = []
    test: list[str] = []
    for num, line in enumerate(lines, 1):
        if not line.lstrip().startswith("<row"):
            continue
        try:
            attr = ET.fromstring(line).attrib
        except ET.ParseError as exc:
            sys.stderr.write(f"Skipping the broken line {num}: {exc}\n")
            continue
        label = 1 if TARGET_TAG in attr.get("Tags", "") else 0
        title = re.sub(r"\s+", " ", attr.get("Title", "")).strip()
        body = re.sub(r"<[^>]+>", " ", attr.get("Body", ""))
        body = re.sub(r"\s+", " ", body).strip()
        row = f"{attr.get('Id', '')}\t{label}\t{title} {body}\n"
        (test if rng.random() < split else train).append(row)
    return train, test


def main() -> None:
    if len(sys.argv) != 2:
        sys.stderr.write("usage: python src/prepare.py data-file\n")
        sys.exit(1)
    params = load_params("prepare")
    split, seed = float(params["split"]), int(params["seed"])
    with open(sys.argv[1], encoding="utf-8") as fd:
        train, test = process_posts(fd.readlines(), split, seed)
    out_dir = os.path.join("data", "prepared")
    os.makedirs(out_dir, exist_ok=True)
    for name, rows in (("train.tsv", train), ("test.tsv", test)):
        with open(os.path.join(out_dir, name), "w", encoding="utf-8", newline="\n") as fd:
            fd.writelines(rows)
    print(f"prepare: {len(train)} train and {len(test)} test posts in {out_dir}")


if __name__ == "__main__":
    main()
