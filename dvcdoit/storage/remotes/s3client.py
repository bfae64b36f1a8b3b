"""The boto3 client of an S3 remote, built from its DVC config (keys, profile, endpoint, TLS).

Credentials are checked here, once, so that a remote without any fails in one line naming
the ways to set them, before the first request.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore
import botocore.config
import botocore.exceptions
import botocore.session

from dvcdoit.core.errors import ConfigError, RemoteError
from dvcdoit.formats.config import RemoteConfig
from dvcdoit.formats.remoteoptions import parse_bool

EXTRA_ARGS = {"sse": "ServerSideEncryption", "sse_kms_key_id": "SSEKMSKeyId",
              "sse_customer_algorithm": "SSECustomerAlgorithm", "sse_customer_key": "SSECustomerKey",
              "acl": "ACL", "grant_read": "GrantRead", "grant_read_acp": "GrantReadACP",
              "grant_write_acp": "GrantWriteACP", "grant_full_control": "GrantFullControl"}
"""DVC's remote options that become boto3 ``ExtraArgs`` of uploads."""


def no_credentials(name: str, url: str) -> str:
    """The one line for a remote with no AWS credentials anywhere."""
    return (f"remote '{name}' ({url}): no AWS credentials found; set them with "
            f"'dvcdoit remote modify --local {name} access_key_id ID' and '... "
            "secret_access_key KEY', or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or an AWS "
            f"profile ('dvcdoit remote modify {name} profile PROFILE')")


def _session(opt: Any) -> Any:
    core = botocore.session.Session(profile=opt.get("profile"))
    if "credentialpath" in opt:
        core.set_config_variable("credentials_file", opt["credentialpath"])
    if "configpath" in opt:
        core.set_config_variable("config_file", opt["configpath"])
    return boto3.session.Session(
        aws_access_key_id=opt.get("access_key_id"),
        aws_secret_access_key=opt.get("secret_access_key"),
        aws_session_token=opt.get("session_token"),
        region_name=opt.get("region"), botocore_session=core)


def _client_config(cfg: RemoteConfig, max_attempts: int) -> dict[str, Any]:
    jobs = cfg.jobs or 4 * (os.cpu_count() or 1)
    attempts = os.environ.get("AWS_MAX_ATTEMPTS", "")  # NOTE: botocore's own knob, as DVC
    conf: dict[str, Any] = {
        "retries": {"total_max_attempts": int(attempts) if attempts.isdigit() else max_attempts,
                    "mode": "standard"},
        "max_pool_connections": max(10, jobs + 4),
    }
    for key in ("read_timeout", "connect_timeout"):
        if key in cfg.options:
            conf[key] = float(cfg.options[key])
    return conf


def client_for(cfg: RemoteConfig, max_attempts: int) -> tuple[str, str, Any, dict[str, str]]:
    """``(bucket, prefix, client, extra upload args)`` for the remote ``cfg``."""
    parts = urlsplit(cfg.url)
    if not parts.netloc:
        msg = f"remote '{cfg.name}': url {cfg.url!r} has no bucket; expected s3://bucket/prefix"
        raise ConfigError(msg)
    opt = cfg.options
    where = f"remote '{cfg.name}'"
    session = _session(opt)
    conf_kwargs = _client_config(cfg, max_attempts)
    anonymous = parse_bool(opt.get("allow_anonymous_login", "false"), where)
    try:
        creds = session.get_credentials()
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        msg = f"remote '{cfg.name}' ({cfg.url}): cannot load AWS credentials: {exc}"
        raise RemoteError(msg) from None  # NOTE: a broken profile or credentials file
    if creds is None and anonymous:
        conf_kwargs["signature_version"] = botocore.UNSIGNED
    elif creds is None:
        raise RemoteError(no_credentials(cfg.name, cfg.url))
    verify: bool | str = True
    if "ssl_verify" in opt:
        raw = opt["ssl_verify"]
        verify = raw if raw.lower() not in ("true", "false") else raw.lower() == "true"
    client = session.client(
        "s3", endpoint_url=opt.get("endpointurl"),
        use_ssl=parse_bool(opt.get("use_ssl", "true"), where), verify=verify,
        config=botocore.config.Config(**conf_kwargs))
    extra = {arg: opt[key] for key, arg in EXTRA_ARGS.items() if key in opt}
    return parts.netloc, parts.path, client, extra
