"""The W6 baseline: a bare boto3 loop with 8 threads, as a program of its own.

    python bench/s3bare.py put URL SRC PREFIX          (a directory: one PUT per file)
    python bench/s3bare.py get URL SRC PREFIX DEST     (one GET per file of SRC)

A single file goes through boto3's ``upload_file``/``download_file`` (multipart, threaded).
It runs as a separate process so that its time includes start-up and ``import boto3``, like
the command-line tools it is compared with.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BUCKET = "bench"


def main(argv: list[str]) -> None:
    """Run one PUT or GET loop."""
    import boto3
    from botocore.config import Config

    op, url, src, prefix = argv[0], argv[1], Path(argv[2]), argv[3]
    for key, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                       ("AWS_DEFAULT_REGION", "us-east-1")):
        os.environ.setdefault(key, value)
    s3 = boto3.client("s3", endpoint_url=url, config=Config(max_pool_connections=16))
    if op == "put":
        if src.is_file():
            s3.upload_file(str(src), BUCKET, f"{prefix}/big")
            return
        files = [p for p in src.rglob("*") if p.is_file()]
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda p: s3.put_object(Bucket=BUCKET, Key=f"{prefix}/{p.name}",
                                                  Body=p.read_bytes()), files))
        return
    dest = Path(argv[4])
    dest.mkdir(parents=True)
    if src.is_file():
        s3.download_file(BUCKET, f"{prefix}/big", str(dest / "big"))
        return

    def get(name: str) -> None:
        body = s3.get_object(Bucket=BUCKET, Key=f"{prefix}/{name}")["Body"].read()
        (dest / name).write_bytes(body)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(get, [p.name for p in src.rglob("*") if p.is_file()]))


if __name__ == "__main__":
    main(sys.argv[1:])
