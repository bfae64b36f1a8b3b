"""The kill -9 suite's data: a directory of many small files plus one large file, and a stage."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

TRAIN = """\
import hashlib, pathlib, yaml
p = yaml.safe_load(open("params.yaml"))
h = hashlib.md5()
for f in sorted(pathlib.Path("data").rglob("*")):
    if f.is_file():
        h.update(f.read_bytes())
out = pathlib.Path("out")
out.mkdir(exist_ok=True)
for i in range(p["train"]["n"]):
    (out / f"part{i:03}").write_text(f"{h.hexdigest()} {i} {p['train']['lr']}\\n" * 50)
pathlib.Path("model.bin").write_bytes(h.digest() * (p["train"]["size"] // 16))
pathlib.Path("metrics.json").write_text('{"lr": %s}' % p["train"]["lr"])
"""


@dataclass(frozen=True)
class Sizes:
    """How much data the scenarios carry: ``small`` files in ``dirs`` dirs plus one large file."""

    small: int = 150
    dirs: int = 10
    large: int = 70 << 20  # NOTE: over 64 MiB, so an S3 push uploads it in parts


def _write(root: Path, rel: str, data: bytes) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)


def _big(seed: int, size: int) -> bytes:
    block = hashlib.sha256(str(seed).encode()).digest() * 2048  # 64 KiB
    return (block * (size // len(block) + 1))[:size]


def write_data(root: Path, sizes: Sizes, variant: int = 0) -> None:
    """The dataset, one directory: ``data/dNN/fNNN`` small files plus ``data/big.bin``;
    ``variant`` 1 changes some small files, adds one and deletes one, and changes the large
    file (a re-add). One target, so every metadata file is written once by one command."""
    for i in range(sizes.small):
        rel = f"data/d{i % sizes.dirs:02}/f{i:04}"
        text = f"row {i} " * (1 + i % 40)
        if variant and i % 7 == 0:
            text += "changed\n"
        if variant and i == 3:
            (root / rel).unlink(missing_ok=True)
            continue
        _write(root, rel, text.encode())
    if variant:
        _write(root, "data/d00/new-file", b"new\n")
    _write(root, "data/big.bin", _big(variant, sizes.large))
