"""The W11 baseline: a bare google-cloud-storage loop with 8 threads, as a program of its own.

    python bench/gsbare.py put URL SRC PREFIX          (a directory: one upload per file)
    python bench/gsbare.py get URL SRC PREFIX DEST     (one download per file of SRC)

One shared ``storage.Client`` (anonymous, ``api_endpoint=URL``) with the same settings as
dvcdoit's: its connection pool sized to the threads, the telemetry bucket lookup off, the
SDK's retries off, ``checksum=None`` (dvcdoit hashes on its own). A single file goes through
``upload_from_filename``/``download_to_filename``. It runs as a separate process so that
its time includes start-up and the SDK's import, like the tools it is compared with.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BUCKET = "bench"


def client(url: str) -> object:
    """A client set up as dvcdoit's is (see ``dvcdoit/storage/remotes/gsclient.py``)."""
    import requests.adapters
    from google.auth.credentials import AnonymousCredentials
    from google.auth.transport.requests import AuthorizedSession
    from google.cloud import storage

    creds = AnonymousCredentials()
    session = AuthorizedSession(creds)
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=12)
    session.mount("http://", adapter)
    c = storage.Client(project=None, credentials=creds, _http=session,
                       client_options={"api_endpoint": url})
    c._bucket_metadata_cache = None
    return c


def main(argv: list[str]) -> None:
    """Run one upload or download loop."""
    op, url, src, prefix = argv[0], argv[1], Path(argv[2]), argv[3]
    bucket = client(url).bucket(BUCKET)  # type: ignore[attr-defined]
    if op == "put":
        if src.is_file():
            bucket.blob(f"{prefix}/big").upload_from_filename(str(src), retry=None, checksum=None)
            return
        files = [p for p in src.rglob("*") if p.is_file()]

        def put(p: Path) -> None:
            with open(p, "rb") as f:
                bucket.blob(f"{prefix}/{p.name}").upload_from_file(
                    f, size=p.stat().st_size, retry=None, checksum=None)

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(put, files))
        return
    dest = Path(argv[4])
    dest.mkdir(parents=True)
    if src.is_file():
        bucket.blob(f"{prefix}/big").download_to_filename(str(dest / "big"), retry=None,
                                                          checksum=None)
        return

    def get(name: str) -> None:
        with open(dest / name, "wb") as f:
            bucket.blob(f"{prefix}/{name}").download_to_file(f, retry=None, checksum=None)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(get, [p.name for p in src.rglob("*") if p.is_file()]))


if __name__ == "__main__":
    main(sys.argv[1:])
