"""DVC 3.67.1's remote options per URL scheme, as data, and the check of one option.

``REMOTE_SCHEMAS`` in ``dvc/config_schema.py`` lists, for each kind of remote, the options
its section may hold; DVC refuses any other with ``extra keys not allowed``. The same table
is here so that ``dvcdoit`` refuses the same keys with the same words, and every remote
backend reads its options from :attr:`dvcdoit.formats.config.RemoteConfig.options` knowing
they were checked. Integers and booleans are checked for their type where they are parsed.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from dvcdoit.core.errors import ConfigError
from dvcdoit.formats import schema

_BOOL_TRUE = frozenset({"true", "yes", "on", "1", "enable"})
_BOOL_FALSE = frozenset({"false", "no", "off", "0", "disable"})
_COMMON = frozenset({"url", "checksum_jobs", "jobs", "worktree", "no_traverse",
                     "version_aware"})
_LOCAL = frozenset({"type", "protected", "shared", "slow_link_warning", "verify"})
_HTTP = frozenset({"auth", "custom_auth_header", "user", "password", "ask_password",
                   "ssl_verify", "method", "connect_timeout", "read_timeout", "verify"})
_WEBDAV = frozenset({"user", "password", "ask_password", "token", "bearer_token_command",
                     "custom_auth_header", "cert_path", "key_path", "timeout", "ssl_verify",
                     "verify"})
_KINDS: dict[str, frozenset[str]] = {
    "": _LOCAL,
    "s3": frozenset({
        "region", "profile", "credentialpath", "configpath", "endpointurl", "access_key_id",
        "secret_access_key", "session_token", "listobjects", "use_ssl", "allow_anonymous_login",
        "ssl_verify", "sse", "sse_kms_key_id", "sse_customer_algorithm", "sse_customer_key",
        "acl", "grant_read", "grant_read_acp", "grant_write_acp", "grant_full_control",
        "cache_regions", "read_timeout", "connect_timeout", "verify"}),
    "gs": frozenset({"projectname", "credentialpath", "endpointurl", "verify",
                     "allow_anonymous_login"}),
    "ssh": frozenset({"type", "port", "user", "password", "ask_password", "passphrase",
                      "ask_passphrase", "keyfile", "timeout", "gss_auth", "allow_agent",
                      "max_sessions", "verify"}),
    "hdfs": frozenset({"user", "kerb_ticket", "replication"}),
    "webhdfs": frozenset({"kerberos", "kerberos_principal", "proxy_to", "ssl_verify", "token",
                          "use_https", "user", "password", "data_proxy_target", "verify"}),
    "azure": frozenset({
        "connection_string", "sas_token", "account_name", "account_key", "tenant_id",
        "client_id", "client_secret", "allow_anonymous_login", "exclude_environment_credential",
        "exclude_visual_studio_code_credential", "exclude_shared_token_cache_credential",
        "exclude_managed_identity_credential", "verify", "timeout", "read_timeout",
        "connection_timeout"}),
    "oss": frozenset({"oss_key_id", "oss_key_secret", "oss_endpoint", "verify"}),
    "gdrive": frozenset({
        "profile", "gdrive_use_service_account", "gdrive_client_id", "gdrive_client_secret",
        "gdrive_user_credentials_file", "gdrive_service_account_user_email",
        "gdrive_service_account_json_file_path", "gdrive_trash_only",
        "gdrive_acknowledge_abuse", "verify"}),
    "http": _HTTP, "https": _HTTP, "webdav": _WEBDAV, "webdavs": _WEBDAV,
}
KNOWN_REMOTE_KEYS: Mapping[str, frozenset[str]] = MappingProxyType(
    {kind: keys | _COMMON for kind, keys in _KINDS.items()})
"""The options a remote of each URL scheme may hold (``""`` is a local directory)."""

_INT_KEYS = MappingProxyType({
    "jobs": 1, "checksum_jobs": 1, "read_timeout": 0, "connect_timeout": 0, "port": 1,
    "timeout": 0, "max_sessions": 1, "connection_timeout": 0, "replication": 1})
_BOOL_KEYS = frozenset({
    "verify", "worktree", "version_aware", "use_ssl", "allow_anonymous_login", "no_traverse",
    "listobjects", "slow_link_warning", "protected", "cache_regions", "ask_password",
    "ask_passphrase", "gss_auth", "allow_agent", "kerberos", "use_https",
    "exclude_environment_credential", "exclude_visual_studio_code_credential",
    "exclude_shared_token_cache_credential", "exclude_managed_identity_credential",
    "gdrive_use_service_account", "gdrive_trash_only", "gdrive_acknowledge_abuse"})
_FLOAT_KEYS = {"http": frozenset({"connect_timeout", "read_timeout"})}


def parse_bool(value: str, where: str) -> bool:
    """Parse a config boolean (``true``/``false`` and voluptuous' synonyms)."""
    low = value.strip().lower()
    if low in _BOOL_TRUE:
        return True
    if low in _BOOL_FALSE:
        return False
    msg = f"{where}: expected true or false, got {value!r}"
    raise ConfigError(msg)


def parse_int(value: str, where: str, minimum: int = 1) -> int:
    """Parse a config integer that must be at least ``minimum``."""
    try:
        n = int(value.strip())
    except ValueError:
        n = minimum - 1
    if n < minimum:
        msg = f"{where}: expected an integer >= {minimum}, got {value!r}"
        raise ConfigError(msg)
    return n


def parse_float(value: str, where: str) -> float:
    """Parse a config number of seconds (``0`` or more), as DVC's ``Coerce(float)``."""
    try:
        n = float(value.strip())
    except ValueError:
        n = -1.0
    if n < 0:
        msg = f"{where}: expected a number >= 0, got {value!r}"
        raise ConfigError(msg)
    return n


def check_remote_option(scheme: str, key: str, value: str, where: str, remote: str = "",
                        source: str = "") -> None:
    """Refuse unknown keys (in DVC's words plus the file ``source``) and ill-typed values
    (``where`` names file, section and key), as DVC's schema does.

    A scheme DVC does not know keeps any key: opening such a remote is refused anyway.
    """
    known = KNOWN_REMOTE_KEYS.get(scheme)
    if known is not None and key not in known:
        words = schema.dvc_words("extra keys not allowed", "remote", remote, key)
        msg = (f"{words} (in {source}; {key!r} is not an option of a {scheme or 'local'} "
               "remote: remove it or fix its name)")
        raise ConfigError(msg)
    if key in _FLOAT_KEYS.get(scheme.replace("https", "http"), ()):
        parse_float(value, where)
    elif key in _INT_KEYS:
        parse_int(value, where, _INT_KEYS[key])
    elif key in _BOOL_KEYS:
        parse_bool(value, where)


__all__ = ["KNOWN_REMOTE_KEYS", "check_remote_option", "parse_bool", "parse_float",
           "parse_int"]
