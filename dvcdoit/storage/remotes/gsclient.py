"""The ``storage.Client`` of a GCS remote, built from its DVC config (credentials, endpoint, pool).

Credentials are resolved here, once, before the first request, in this order:

* ``allow_anonymous_login = true``: anonymous (public buckets, emulators);
* ``credentialpath``: a service-account (or ``gcloud auth application-default login``) JSON
  file; a missing, unreadable or malformed file fails in one line naming the file;
* an ``endpointurl`` (or ``STORAGE_EMULATOR_HOST``) without ``credentialpath``: anonymous,
  as the SDK does for an emulator;
* otherwise Google's application-default credentials: the file ``GOOGLE_APPLICATION_CREDENTIALS``
  names (read as ``credentialpath`` is), else gcloud's ADC file or the metadata server on
  Google Cloud (``google.auth.default``).

``endpointurl`` means what it means to DVC (gcsfs' ``endpoint_url``): the server's base URL,
``http://127.0.0.1:9023``, below which the JSON API lives at ``/storage/v1/``. No credential is
ever put in a message.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import urlsplit

import google.auth
import google.auth.exceptions
import requests.adapters
from google.auth.credentials import AnonymousCredentials, Credentials
from google.auth.transport.requests import AuthorizedSession
from google.cloud import storage  # type: ignore[import-untyped]

from dvcdoit.core.errors import ConfigError, RemoteError
from dvcdoit.formats.config import RemoteConfig
from dvcdoit.formats.remoteoptions import parse_bool

SCOPES = ("https://www.googleapis.com/auth/devstorage.read_write",)


def no_credentials(name: str, url: str) -> str:
    """The one line for a remote with no Google credentials anywhere."""
    return (f"remote '{name}' ({url}): no Google credentials found; set a service-account "
            f"JSON file with 'dvcdoit remote modify --local {name} credentialpath PATH', or "
            "GOOGLE_APPLICATION_CREDENTIALS, or run 'gcloud auth application-default login'")


def _load(path: str) -> Credentials | None:
    """Credentials of the type the JSON file names; None if it is not one we load.

    NOTE: loaded by type (google-auth deprecates its catch-all loader, which also accepts
    external-account configurations that run commands or fetch URLs).
    """
    from google.oauth2 import credentials as user
    from google.oauth2 import service_account

    with open(path, "rb") as f:
        raw = f.read()
    try:
        info = json.loads(raw)
        kind = info.get("type") if isinstance(info, dict) else None
        if kind == "service_account":
            sa: Credentials = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
                info, scopes=SCOPES)
            return sa
        if kind == "authorized_user":
            au: Credentials = user.Credentials.from_authorized_user_info(  # type: ignore[no-untyped-call]
                info, scopes=SCOPES)
            return au
    except (ValueError, KeyError, TypeError):
        return None  # NOTE: the library's text can quote the file; ours names only the file
    return None


def _from_file(path: str, where: str, source: str = "credentialpath") -> Credentials:
    """Credentials from the JSON file ``path``; one line (naming only the file) if it is bad."""
    creds: Credentials | None = None
    try:
        creds = _load(path)
        reason = "not a service-account or authorized-user JSON file"
    except FileNotFoundError:
        reason = "no such file"
    except IsADirectoryError:
        reason = "it is a directory"
    except PermissionError:
        reason = "permission denied"
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
    if creds is not None:
        return creds
    msg = f"{where}: cannot load Google credentials from {source} {path}: {reason}"
    raise RemoteError(msg)


def credentials_for(cfg: RemoteConfig) -> Credentials:
    """The credentials of remote ``cfg``, by the order in this module's docstring."""
    opt = cfg.options
    where = f"remote '{cfg.name}' ({cfg.url})"
    if parse_bool(opt.get("allow_anonymous_login", "false"),
                  f"remote '{cfg.name}' allow_anonymous_login"):
        return AnonymousCredentials()  # type: ignore[no-untyped-call]
    if "credentialpath" in opt:
        return _from_file(opt["credentialpath"], where)
    if "endpointurl" in opt or os.environ.get("STORAGE_EMULATOR_HOST"):
        return AnonymousCredentials()  # type: ignore[no-untyped-call]
    adc = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if adc:  # NOTE: read here by type, as credentialpath is, and named in the message
        return _from_file(adc, where, "GOOGLE_APPLICATION_CREDENTIALS")
    try:
        creds, _ = google.auth.default(scopes=SCOPES)
    except google.auth.exceptions.DefaultCredentialsError:
        raise RemoteError(no_credentials(cfg.name, cfg.url)) from None
    return creds  # type: ignore[no-any-return]


def pool_size(jobs: int | None) -> int:
    """HTTP connections kept per host: one per transfer thread, plus a few for listings."""
    return max(10, (jobs or 4 * (os.cpu_count() or 1)) + 4)


def client_for(cfg: RemoteConfig) -> tuple[str, str, Any]:
    """``(bucket, prefix, client)`` for the remote ``cfg``; one client for all threads.

    NOTE: the SDK documents its client as safe to share across threads (it is a
    ``requests`` session); its connection pool is sized to the transfer threads here, so
    parallel transfers reuse connections instead of opening one per request.
    """
    parts = urlsplit(cfg.url)
    if not parts.netloc:
        msg = f"remote '{cfg.name}': url {cfg.url!r} has no bucket; expected gs://bucket/prefix"
        raise ConfigError(msg)
    creds = credentials_for(cfg)
    session = AuthorizedSession(creds)  # type: ignore[no-untyped-call]
    size = pool_size(cfg.jobs)
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=size)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    options: dict[str, str] = {}
    endpoint = cfg.options.get("endpointurl")
    if endpoint:
        options["api_endpoint"] = endpoint.rstrip("/")
    project = cfg.options.get("projectname") or None
    # NOTE: project=None, not left out: left out, the SDK would look for one (ADC, metadata)
    client = storage.Client(project=project, credentials=creds, _http=session,
                            client_options=options or None)
    # NOTE: google-cloud-storage 3.x fetches each bucket's metadata on a background thread
    # at first use, only to label telemetry spans: one more request per process and a thread
    # we do not own. None is what its checks treat as "off" (the per-process alternative is
    # the DISABLE_GCS_PYTHON_CLIENT_OTEL_BUCKET_METADATA variable, which we do not set for
    # the whole process).
    if hasattr(client, "_bucket_metadata_cache"):
        client._bucket_metadata_cache = None
    return parts.netloc, parts.path, client


__all__ = ["SCOPES", "client_for", "credentials_for", "no_credentials", "pool_size"]
