"""Azure test fixtures: a real Azurite blob server on loopback, plus the counting proxy.

Import the fixtures into a test module (``from tests.azureserver import ...``):

* ``azurite`` (session): starts ``<repo>/.node/node_modules/.bin/azurite-blob`` (installed by
  ``scripts/test.sh``) on a free port with a temp ``--location``, waits until it answers,
  yields the account's blob endpoint ``http://127.0.0.1:<port>/devstoreaccount1``, kills it
  by PID at the end; skipped, saying why, when Azurite is not installed;
* ``azure_container``: a fresh, empty container on it;
* ``azure_proxy``: a :class:`~tests.faults.s3proxy.FaultProxy` in front of it.
"""

from __future__ import annotations

import contextlib
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.s3proxy import FaultProxy
from tests.s3server import free_port, serving

ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
"""Azurite's well-known development account and key (public, in Microsoft's docs)."""
AZURITE = Path(__file__).resolve().parent.parent / ".node" / "node_modules" / ".bin" / "azurite-blob"


def connection_string(endpoint: str, key: str = KEY) -> str:
    """A connection string for the dev account at blob endpoint ``endpoint``."""
    return (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={key};"
            f"BlobEndpoint={endpoint};")


def proxied(proxy: FaultProxy) -> str:
    """The account's blob endpoint through ``proxy``."""
    return f"{proxy.url}/{ACCOUNT}"


@contextlib.contextmanager
def azurite_process(exe: Path) -> Iterator[str]:
    """Run ``azurite-blob`` on a free loopback port until it answers; yield its endpoint."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="azurite-") as where:
        url = f"http://127.0.0.1:{port}/{ACCOUNT}"
        argv = [str(exe), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location",
                where, "--skipApiVersionCheck", "--loose", "--silent", "--disableTelemetry"]
        with serving(argv, url + "?comp=list", "azurite-blob"):
            yield url


@pytest.fixture(scope="session")
def azurite() -> Iterator[str]:
    """Azurite's blob endpoint for the whole session; skipped if Azurite is not installed."""
    if not AZURITE.exists():
        pytest.skip(f"Azurite is not installed at {AZURITE} (scripts/test.sh installs it with npm)")
    try:
        with azurite_process(AZURITE) as url:
            yield url
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture
def azure_container(azurite: str) -> str:
    """A new, empty container on Azurite."""
    from azure.storage.blob import BlobServiceClient

    name = f"c-{uuid.uuid4().hex[:12]}"
    BlobServiceClient.from_connection_string(connection_string(azurite)).create_container(name)
    return name


@pytest.fixture
def azure_proxy(azurite: str) -> Iterator[FaultProxy]:
    """A :class:`FaultProxy` (counting, no faults yet) in front of the session's Azurite."""
    proxy = FaultProxy(azurite)
    try:
        yield proxy
    finally:
        proxy.close()
