"""S3 test fixtures: a real moto S3 server on loopback, plus a counting, fault-injecting proxy.

Fixtures (register with ``pytest_plugins = ["tests.s3server"]``):

* ``moto_endpoint`` (session): starts ``moto_server -H 127.0.0.1 -p <free port>`` as a
  subprocess, waits until it answers, yields ``http://127.0.0.1:<port>``, kills it by PID;
* ``s3_env``: sets dummy AWS credentials in the environment (``testing``/``us-east-1``);
* ``s3_bucket``: a fresh bucket on the server, yields its name;
* ``s3_proxy``: a :class:`~tests.faults.s3proxy.FaultProxy` in front of the server (request
  counting, injected faults).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator

import pytest

from tests.faults.s3proxy import FaultProxy

CREDS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
         "AWS_DEFAULT_REGION": "us-east-1", "AWS_SESSION_TOKEN": "testing"}


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(argv: list[str], probe: str, name: str) -> Iterator[None]:
    """Run the server ``argv`` until ``probe`` answers (any HTTP status counts), then kill it.

    Raises RuntimeError when it exits or does not answer within 30 s.
    """
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(probe, timeout=1).close()
                break
            except urllib.error.HTTPError:
                break  # NOTE: an answer, even 403 for an unsigned request: the server is up
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    msg = f"{name} did not start"
                    raise RuntimeError(msg) from None
                time.sleep(0.1)
        yield
    finally:
        proc.kill()
        proc.wait(timeout=10)


@contextlib.contextmanager
def moto_process(exe: str) -> Iterator[str]:
    """Run ``moto_server`` on a free loopback port until it answers; yield its URL, then kill it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serving([exe, "-H", "127.0.0.1", "-p", str(port)], url + "/moto-api/", "moto_server"):
        yield url


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto S3 server on loopback for the whole session; skipped if moto_server is absent."""
    exe = shutil.which("moto_server")
    if exe is None:
        pytest.skip("moto_server is not installed (pip install 'moto[server]')")
    try:
        with moto_process(exe) as url:
            yield url
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture
def s3_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Dummy AWS credentials in the environment (moto accepts anything)."""
    for k, v in CREDS.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return CREDS


@pytest.fixture
def s3_bucket(moto_endpoint: str, s3_env: dict[str, str]) -> str:
    """A new, empty bucket on the moto server."""
    import boto3

    name = f"b-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1").create_bucket(
        Bucket=name)
    return name


@pytest.fixture
def s3_proxy(moto_endpoint: str) -> Iterator[FaultProxy]:
    """A :class:`tests.faults.s3proxy.FaultProxy` in front of the session's moto server."""
    proxy = FaultProxy(moto_endpoint)
    try:
        yield proxy
    finally:
        proxy.close()


def remote_env() -> dict[str, str]:
    """Environment for a real ``dvc`` subprocess talking to moto."""
    return {**os.environ, **CREDS}
