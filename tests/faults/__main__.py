"""``python -m tests.faults --points 200``: the full kill -9 fault suite, with its figures.

Starts its own moto server on loopback for the S3 operations (skipped, and said so, when
``moto_server`` is not installed), builds every scenario in a temp dir, kills each command at
seeded random points (:mod:`tests.faults.killer`), and prints the figures: points tried,
processes actually killed, violations by kind, manual recoveries and debris left after the
re-runs. Exits 1 if there is any violation. Real DVC's ``dvc status`` is checked too when
``DVCDOIT_DVC_BIN`` names it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.faults.killer import Killer, S3Side, Sizes, default_dvc, json_report
from tests.s3server import moto_process


@contextmanager
def moto_server() -> Iterator[str | None]:
    """A moto S3 server on a free loopback port for the run (None if moto is not installed)."""
    exe = shutil.which("moto_server")
    if exe is None:
        yield None
        return
    try:
        with moto_process(exe) as url:
            yield url
    except RuntimeError as exc:
        raise SystemExit(str(exc)) from None


def main(argv: list[str] | None = None) -> int:
    """Run the campaign described by ``argv`` and print its figures."""
    ap = argparse.ArgumentParser(prog="python -m tests.faults", description=__doc__)
    ap.add_argument("--points", type=int, default=200, help="kill points in all (default 200)")
    ap.add_argument("--seed", type=int, default=10, help="seed of the kill delays (default 10)")
    ap.add_argument("--ops", default="", help="comma-separated operations (default: all)")
    ap.add_argument("--small", type=int, default=Sizes.small, help="small files per dataset")
    ap.add_argument("--large-mib", type=int, default=Sizes.large >> 20, help="size of big.bin")
    ap.add_argument("--keep", action="store_true", help="keep the work dir (printed)")
    ap.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="dvcdoit-faults-"))
    started = time.monotonic()
    try:
        with moto_server() as endpoint:
            s3 = S3Side(endpoint, "faults") if endpoint else None
            if s3 is None:
                print("moto_server not installed: the S3 operations are skipped")
            killer = Killer(work, Sizes(small=args.small, large=args.large_mib << 20), s3,
                            default_dvc())
            names = [n for n in args.ops.split(",") if n] or None
            report = killer.campaign(args.points, args.seed, names)
    finally:
        if not args.keep:
            subprocess.run(["chmod", "-R", "u+w", str(work)], check=False)
            shutil.rmtree(work, ignore_errors=True)
    for line in report.lines():
        print(line)
    print(f"time: {time.monotonic() - started:.0f}s, seed {args.seed}"
          + (f", work dir kept: {work}" if args.keep else ""))
    if args.json:
        print(json.dumps(json_report(report), sort_keys=True))
    return 1 if report.violations else 0


if __name__ == "__main__":
    sys.exit(main())
