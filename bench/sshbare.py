"""The W9 baseline: a bare asyncssh SFTP loop, 8 transfers in flight, as a program of its own.

    python bench/sshbare.py put PORT KEY SRC DIR        (every file of SRC into DIR, flat)
    python bench/sshbare.py get PORT KEY SRC DIR DEST   (each file of SRC back from DIR)

It logs in as the test server's user with KEY and checks nothing (no known_hosts, no md5, no
temp names): the floor the remote is measured against. A separate process, so its time
includes start-up and ``import asyncssh``, like the command-line tools.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path


async def main(argv: list[str]) -> None:
    """Run one put or get loop."""
    import asyncssh

    op, port, key, src, where = argv[0], int(argv[1]), argv[2], Path(argv[3]), argv[4]
    files = [src] if src.is_file() else [p for p in src.rglob("*") if p.is_file()]
    conn = await asyncssh.connect("127.0.0.1", port, username="tester", client_keys=[key],
                                  known_hosts=None, compression_algs=None,
                                  encryption_algs=["aes128-gcm@openssh.com"])
    async with conn, conn.start_sftp_client() as sftp:
        gate = asyncio.Semaphore(8)
        if op == "put":
            await sftp.makedirs(where, exist_ok=True)

            async def put(p: Path) -> None:
                async with gate:
                    await sftp.put(str(p), f"{where}/{p.name}")

            await asyncio.gather(*(put(p) for p in files))
            return
        dest = Path(argv[5])
        dest.mkdir(parents=True)

        async def get(p: Path) -> None:
            async with gate:
                await sftp.get(f"{where}/{p.name}", str(dest / p.name))

        await asyncio.gather(*(get(p) for p in files))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
