"""The ``ContainerClient`` of an Azure remote, built from its DVC options as DVC builds it.

DVC (dvc-azure 3.1 over adlfs) finds the account and its credentials like this, and so do we:

* each of ``connection_string``, ``account_name``, ``account_key`` and ``sas_token`` comes
  from the remote's options, else from the Azure CLI's configuration: the environment
  variables ``AZURE_STORAGE_CONNECTION_STRING``, ``AZURE_STORAGE_ACCOUNT``,
  ``AZURE_STORAGE_KEY``, ``AZURE_STORAGE_SAS_TOKEN``, then the ``[storage]`` section
  (``connection_string``, ``account``, ``key``, ``sas_token``) of ``$AZURE_CONFIG_DIR/config``
  (default ``~/.azure/config``);
* a connection string wins over everything else (its ``BlobEndpoint`` or account name gives
  the endpoint); otherwise ``account_name`` is required and the endpoint is
  ``https://<account_name>.blob.core.windows.net``;
* then, in adlfs' order: the account key; the SAS token; a service principal
  (``tenant_id``, ``client_id``, ``client_secret``, through azure-identity's
  ``ClientSecretCredential``); anonymous access when ``allow_anonymous_login`` is true;
  else azure-identity's ``DefaultAzureCredential`` with the four ``exclude_*_credential``
  options (and, unlike DVC, without its interactive browser login, which would block).
* with no container in the URL (``azure://``), DVC takes ``[storage] container_name`` from
  the Azure CLI's configuration (``AZURE_STORAGE_CONTAINER_NAME``); so do we.

azure-identity is imported only for the last two credential kinds. One dvcdoit addition:
``DVCDOIT_AZURE_BLOB_ENDPOINT`` replaces the ``account_name`` endpoint (sovereign clouds,
Azure Stack, the Azurite emulator), as a connection string's ``BlobEndpoint`` does.
"""

from __future__ import annotations

import configparser
import contextlib
import os
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.adapters
import urllib3.util
from azure.storage.blob import ContainerClient, ExponentialRetry

from dvcdoit.core.errors import ConfigError
from dvcdoit.formats.config import RemoteConfig
from dvcdoit.formats.remoteoptions import parse_bool, parse_int

ENDPOINT_ENV = "DVCDOIT_AZURE_BLOB_ENDPOINT"
"""Blob endpoint of the account (e.g. ``http://127.0.0.1:10000/devstoreaccount1``), used
instead of ``https://<account_name>.blob.core.windows.net``."""

_AZ_CLI = {"connection_string": "connection_string", "account_name": "account",
           "account_key": "key", "sas_token": "sas_token", "container_name": "container_name"}
_EXCLUDES = ("exclude_environment_credential", "exclude_visual_studio_code_credential",
             "exclude_shared_token_cache_credential", "exclude_managed_identity_credential")
_PRINCIPAL = ("tenant_id", "client_id", "client_secret")
RETRIES = 5
GET_FIRST = 32 * 1024 * 1024  # NOTE: the first GET of a download asks for this much
GET_CHUNK = 16 * 1024 * 1024  # NOTE: then ranges of this size (the SDK's 4 MiB: 4x the requests)


class _Retry(ExponentialRetry):
    """The SDK's retries (5xx, 408, connection and read errors) with a short back-off:
    0.25 s doubling, capped at 20 s, jittered, instead of the SDK's 15 s + 3**n."""

    def get_backoff_time(self, settings: dict[str, Any]) -> float:
        """Seconds to wait before retry number ``settings['count']``."""
        return float(min(20.0, 0.25 * 2 ** settings["count"]) * random.uniform(0.5, 1.0))


@dataclass(frozen=True)
class Login:
    """How the remote authenticates: the method in DVC's words and what the SDK gets."""

    method: str
    account_url: str = ""
    credential: Any = None
    connection_string: str = ""


def az_cli_config(environ: Mapping[str, str]) -> dict[str, str]:
    """The Azure CLI's ``[storage]`` settings, environment first, as DVC reads them."""
    out: dict[str, str] = {}
    path = Path(environ.get("AZURE_CONFIG_DIR") or Path.home() / ".azure") / "config"
    parser = configparser.ConfigParser(interpolation=None)
    with contextlib.suppress(configparser.Error):  # NOTE: a broken file is skipped
        parser.read(path)
    for option, cli in _AZ_CLI.items():
        value = environ.get(f"AZURE_STORAGE_{cli.upper()}") or parser.get(
            "storage", cli, fallback="")
        if value:
            out[option] = value
    return out


def login(cfg: RemoteConfig, environ: Mapping[str, str]) -> Login:
    """Choose the credential for ``cfg`` in DVC's order (see the module docstring)."""
    where = f"remote '{cfg.name}'"
    opt = {**az_cli_config(environ), **{k: v for k, v in cfg.options.items() if v}}
    if opt.get("connection_string"):
        return Login("connection string", connection_string=opt["connection_string"])
    account = opt.get("account_name", "")
    if not account:
        msg = (f"{where} ({cfg.url}): Azure needs account_name or connection_string; set one "
               f"with 'dvcdoit remote modify --local {cfg.name} account_name NAME'")
        raise ConfigError(msg)
    url = environ.get(ENDPOINT_ENV, "").rstrip("/") or f"https://{account}.blob.core.windows.net"
    if opt.get("account_key"):
        return Login("account key", url, {"account_name": account, "account_key": opt["account_key"]})
    if opt.get("sas_token"):
        return Login("SAS token", url, opt["sas_token"].lstrip("?"))
    given = [k for k in _PRINCIPAL if opt.get(k)]
    if given:
        missing = [k for k in _PRINCIPAL if k not in given]
        if missing:
            msg = (f"{where} ({cfg.url}): an AD service principal needs tenant_id, client_id "
                   f"and client_secret; {' and '.join(missing)} not set")
            raise ConfigError(msg)
        from azure.identity import ClientSecretCredential

        try:
            cred = ClientSecretCredential(opt["tenant_id"], opt["client_id"], opt["client_secret"])
        except ValueError as exc:  # NOTE: e.g. a tenant_id with characters AD does not allow
            msg = f"{where} ({cfg.url}): AD service principal: {exc}"
            raise ConfigError(msg) from None
        return Login("AD service principal", url, cred)
    if parse_bool(opt.get("allow_anonymous_login", "false"), where):
        return Login("anonymous login", url)
    from azure.identity import DefaultAzureCredential

    flags = {k: parse_bool(opt.get(k, "false"), f"{where} {k}") for k in _EXCLUDES}
    return Login("default credentials", url, DefaultAzureCredential(**flags))


def container_for(cfg: RemoteConfig, jobs: int,
                  environ: Mapping[str, str] | None = None) -> tuple[str, str, ContainerClient, Login]:
    """``(container, prefix, client, login)`` for the remote ``cfg`` (``azure://container/prefix``).

    The client is shared by every thread (the SDK's clients are immutable after creation and
    safe to share), with a connection pool of ``jobs`` + 4 and :class:`_Retry`.
    """
    parts = urlsplit(cfg.url)
    environ = os.environ if environ is None else environ
    container = parts.netloc or az_cli_config(environ).get("container_name", "")
    prefix = parts.path.strip("/")
    if not container:
        msg = f"remote '{cfg.name}': url {cfg.url!r} has no container; expected azure://container/prefix"
        raise ConfigError(msg)
    how = login(cfg, environ)
    kwargs: dict[str, Any] = {"retry_policy": _Retry(retry_total=RETRIES),
                              "connection_data_block_size": 1024 * 1024,
                              "max_single_get_size": GET_FIRST, "max_chunk_get_size": GET_CHUNK}
    for key in ("connection_timeout", "read_timeout"):
        if key in cfg.options:
            kwargs[key] = parse_int(cfg.options[key], f"remote '{cfg.name}' {key}", 0)
    session = _session(jobs)
    if how.connection_string:
        try:
            client = ContainerClient.from_connection_string(how.connection_string, container,
                                                            session=session, **kwargs)
        except ValueError as exc:  # NOTE: the SDK's text names no secret
            msg = f"remote '{cfg.name}' ({cfg.url}): bad connection_string: {exc}"
            raise ConfigError(msg) from None
    else:
        try:
            client = ContainerClient(how.account_url, container, credential=how.credential,
                                     session=session, **kwargs)
        except ValueError as exc:  # NOTE: e.g. a token credential on an http:// endpoint
            msg = f"remote '{cfg.name}' ({cfg.url}): {how.method} at {how.account_url}: {exc}"
            raise ConfigError(msg) from None
    return container, prefix, client, how


def _session(jobs: int) -> requests.Session:
    """A requests session whose pool holds a connection for every transfer thread.

    As the SDK's own: urllib3 does not retry (the SDK's retry policy does).
    """
    session = requests.Session()
    off = urllib3.util.Retry(total=False, redirect=False, raise_on_status=False)
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=jobs + 4, max_retries=off)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
