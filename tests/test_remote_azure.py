"""remotes.azure against a real Azurite blob server on loopback (no in-process mocks)."""
# ruff: noqa: F811 - the fixtures imported from tests.azureserver are parameters by name

from __future__ import annotations

import datetime
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from urllib.parse import unquote

import pytest
from azure.storage.blob import BlobServiceClient, ContainerSasPermissions, generate_container_sas

from dvcdoit.core.errors import ConfigError, ObjectCorruptError, RemoteError
from dvcdoit.core.hashing import MD5, HashInfo, ManifestEntry, md5_bytes, object_relpath
from dvcdoit.formats.config import RemoteConfig
from dvcdoit.storage.cache import ObjectCache
from dvcdoit.storage.remotes import RemoteObjectMissing, azureblocks, azureclient, open_remote
from dvcdoit.storage.remotes import azure as azmod
from dvcdoit.storage.remotes.azure import AzureRemote
from dvcdoit.storage.transfer import fetch, push
from tests.azureserver import (  # noqa: F401 - the fixtures are used by name
    ACCOUNT,
    KEY,
    azure_container,
    azure_proxy,
    azurite,
    connection_string,
    proxied,
)
from tests.conftest import Runner, write_tree
from tests.faults.s3proxy import FaultProxy

PREFIX = "some/path"


def _cfg(container: str, prefix: str = PREFIX, **opts: str) -> RemoteConfig:
    return RemoteConfig("az", f"azure://{container}/{prefix}", MappingProxyType(opts))


def _remote(endpoint: str, container: str, prefix: str = PREFIX, **opts: str) -> AzureRemote:
    opts.setdefault("connection_string", connection_string(endpoint))
    remote = open_remote(_cfg(container, prefix, **opts))
    assert isinstance(remote, AzureRemote)
    return remote


def _names(endpoint: str, container: str) -> list[str]:
    svc = BlobServiceClient.from_connection_string(connection_string(endpoint))
    return sorted(b.name for b in svc.get_container_client(container).list_blobs())


def _dir_in_cache(cache: ObjectCache, n: int) -> HashInfo:
    entries = []
    for i in range(n):
        data = f"file number {i}\n".encode()
        hi = HashInfo(MD5, md5_bytes(data))
        cache.add_bytes(data, hi)
        entries.append(ManifestEntry(f"d/f{i:03}.txt", hi.value))
    return cache.add_manifest(entries)


def _put(endpoint: str, container: str, relpath: str, data: bytes) -> None:
    svc = BlobServiceClient.from_connection_string(connection_string(endpoint))
    svc.get_blob_client(container, f"{PREFIX}/{relpath}").upload_blob(data, overwrite=True)


# -- the protocol -------------------------------------------------------------------------
def test_round_trip_missing_walk_delete(azurite: str, azure_container: str, tmp_path: Path) -> None:
    remote = _remote(azurite, azure_container)
    src = tmp_path / "src"
    src.write_bytes(b"payload")
    rel = "files/md5/32/1c3cf486ed509164edec1e1981fec8"
    remote.upload(src, rel, md5=md5_bytes(b"payload"))
    assert _names(azurite, azure_container) == [f"{PREFIX}/{rel}"]
    assert remote.exists_many([rel, "files/md5/ab/none"]) == {rel}
    assert remote.download(rel, tmp_path / "dl") == md5_bytes(b"payload")
    assert (tmp_path / "dl").read_bytes() == b"payload"
    with pytest.raises(RemoteObjectMissing) as exc:
        remote.download("files/md5/ab/none", tmp_path / "dl2")
    assert str(exc.value) == f"remote azure://{azure_container}/{PREFIX}: files/md5/ab/none does not exist"
    assert remote.walk("files/") == [rel]
    remote.delete([rel, "files/md5/ab/cdef0123456789abcdef0123456789"])  # one already gone: fine
    assert _names(azurite, azure_container) == []
    assert "devstoreaccount1" not in repr(remote) and KEY not in repr(remote.__dict__)


def test_requests_per_object_are_batched(azure_proxy: FaultProxy, azure_container: str,
                                         tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path / "cache")
    dir_hi = _dir_in_cache(cache, 60)
    remote = _remote(proxied(azure_proxy), azure_container)
    res = push(cache, remote, [("data", dir_hi)], jobs=8)
    assert res.ok and len(res.transferred) == 61
    assert azure_proxy.counts.get("PUT") == 61
    assert azure_proxy.total <= 61 + 2  # one probe of the .dir, one listing for the members
    azure_proxy.clear()
    assert push(cache, remote, [("data", dir_hi)]).transferred == ()
    assert azure_proxy.counts == {"HEAD": 1}  # the .dir is there, so the directory is complete
    azure_proxy.clear()
    fresh = ObjectCache(tmp_path / "fresh")
    res = fetch(fresh, remote, [("data", dir_hi)], jobs=8)
    assert res.ok and len(res.transferred) == 61
    assert azure_proxy.counts == {"GET": 61}


def test_existence_of_many_objects_lists_pages_not_objects(azure_proxy: FaultProxy, azure_container: str,
                                                           tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(azmod, "PAGE", 10)  # NOTE: 5,000 per page in real use; 10 shows the paging
    remote = _remote(proxied(azure_proxy), azure_container)
    present = [f"files/md5/{i:02x}/{'0' * 30}" for i in range(40)]
    for rel in present:
        _put(proxied(azure_proxy), azure_container, rel, b"x")
    asked = present + [f"files/md5/{i:02x}/{'1' * 30}" for i in range(40)]
    azure_proxy.clear()
    assert remote.exists_many(asked) == set(present)
    assert azure_proxy.counts == {"GET": 4}  # 40 names in pages of 10: the budget (40 prefixes) covers it


def test_a_listing_past_its_budget_lists_the_remaining_prefixes(
        azure_proxy: FaultProxy, azure_container: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(azmod, "PAGE", 2)
    remote = _remote(proxied(azure_proxy), azure_container)
    present = [f"files/md5/{d:02x}/{c * 30}" for d in range(10) for c in "0123"]
    for rel in present:
        _put(proxied(azure_proxy), azure_container, rel, b"x")
    asked = present + [f"files/md5/{d:02x}/{c * 30}" for d in range(10) for c in "abcd"]
    azure_proxy.clear()
    assert remote.exists_many(asked) == set(present)
    # NOTE: 10 prefixes give a budget of 5 pages of 2 names: 00/ and 01/ whole, then 02/000…
    # and 02/111…, which settles every name up to there (01/aaa… is absent); the 8 prefixes
    # 02/ to 09/ are then listed on their own, 2 pages of 2 names each
    listed = sorted({unquote(path.split("prefix=")[1].split("&")[0]).split("/")[-2]
                     for _, path, _ in azure_proxy.log[5:]})
    assert listed == [f"{d:02x}" for d in range(2, 10)]
    assert azure_proxy.counts == {"GET": 5 + 8 * 2}


def test_transient_faults_then_recovery(azure_proxy: FaultProxy, azure_container: str,
                                        tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path / "cache")
    dir_hi = _dir_in_cache(cache, 5)
    remote = _remote(proxied(azure_proxy), azure_container)
    azure_proxy.add("500", method="PUT", times=2)
    azure_proxy.add("reset", method="PUT", times=1)
    azure_proxy.add("500", method="HEAD", times=1)
    assert push(cache, remote, [("data", dir_hi)], jobs=4).ok
    assert azure_proxy.faults() == 4
    azure_proxy.add("500", method="GET", times=1)
    azure_proxy.add("truncate", method="GET", times=2)
    azure_proxy.add("reset", method="GET", times=1)
    fresh = ObjectCache(tmp_path / "fresh")
    assert fetch(fresh, remote, [("data", dir_hi)], jobs=4).ok
    assert azure_proxy.faults() == 8
    assert fresh.has(dir_hi)


def test_persistent_500_is_a_per_object_failure(azure_proxy: FaultProxy, azure_container: str,
                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(azureclient, "RETRIES", 1)
    cache = ObjectCache(tmp_path / "cache")
    data = b"x\n"
    hi = HashInfo(MD5, md5_bytes(data))
    cache.add_bytes(data, hi)
    remote = _remote(proxied(azure_proxy), azure_container)
    azure_proxy.add("500", method="PUT", times=-1)
    res = push(cache, remote, [("x.txt", hi)])
    assert res.failed == (("x.txt", hi, (f"remote azure://{azure_container}/{PREFIX}: upload "
                                        f"{object_relpath(hi)} failed: InternalError")),)
    assert azure_proxy.counts.get("PUT") == 2  # the first try and one retry


def test_tampered_upload_is_refused_and_nothing_appears(azurite: str, azure_container: str,
                                                        tmp_path: Path) -> None:
    remote = _remote(azurite, azure_container)
    src = tmp_path / "src"
    src.write_bytes(b"tampered")
    good = md5_bytes(b"original")
    rel = object_relpath(HashInfo(MD5, good))
    with pytest.raises(ObjectCorruptError) as exc:
        remote.upload(src, rel, md5=good)
    assert str(exc.value) == (f"remote azure://{azure_container}/{PREFIX}: refusing to upload {rel}: "
                              f"its bytes hash to {md5_bytes(b'tampered')}, not {good}")
    assert _names(azurite, azure_container) == []


def test_the_server_checks_the_content_md5_sent(azurite: str, azure_container: str, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # NOTE: bytes that change after they were hashed here: the Content-MD5 we send is then not
    # the md5 of the body; stand that in by sending the md5 of other bytes (our code, not the SDK's)
    monkeypatch.setattr(azmod, "content_md5", lambda f, md5, refuse: "rL0Y20zC+Fzt72VPzMSk2A==")
    remote = _remote(azurite, azure_container)
    src = tmp_path / "src"
    src.write_bytes(b"payload")
    rel = "files/md5/32/1c3cf486ed509164edec1e1981fec8"
    with pytest.raises(RemoteError) as exc:
        remote.upload(src, rel, md5=md5_bytes(b"payload"))
    assert str(exc.value) == (f"remote azure://{azure_container}/{PREFIX}: upload {rel} failed: "
                              "InvalidOperation; the bytes that arrived do not hash to the Content-MD5 sent")
    assert _names(azurite, azure_container) == []


def test_wrong_bytes_from_the_server_are_refused(azurite: str, azure_container: str, tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path / "cache")
    dir_hi = _dir_in_cache(cache, 3)
    remote = _remote(azurite, azure_container)
    assert push(cache, remote, [("data", dir_hi)]).ok
    victim = HashInfo(MD5, md5_bytes(b"file number 1\n"))
    _put(azurite, azure_container, object_relpath(victim), b"evil")
    fresh = ObjectCache(tmp_path / "fresh")
    res = fetch(fresh, remote, [("data", dir_hi)])
    assert [(n, h) for n, h, _ in res.failed] == [("data/d/f001.txt", victim)]
    assert "corrupt on remote" in res.failed[0][2]
    assert not fresh.path_for(victim).exists()
    assert len(res.transferred) == 3


def test_large_file_goes_up_in_blocks_committed_only_when_it_matches(
        azure_proxy: FaultProxy, azure_container: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    mib = 1024 * 1024
    monkeypatch.setattr(azmod, "BLOCK_THRESHOLD", 5 * mib)
    monkeypatch.setattr(azmod, "PARALLEL_GET", 5 * mib)
    monkeypatch.setattr(azureblocks, "BLOCK_SIZE", 2 * mib)
    monkeypatch.setattr(azureclient, "GET_FIRST", 2 * mib)
    monkeypatch.setattr(azureclient, "GET_CHUNK", 2 * mib)
    remote = _remote(proxied(azure_proxy), azure_container)
    data = bytes((i * 7) % 251 for i in range(256)) * (9 * mib // 256 + 3)  # 5 blocks, last short
    src = tmp_path / "big"
    src.write_bytes(data)
    rel = object_relpath(HashInfo(MD5, md5_bytes(data)))
    with pytest.raises(ObjectCorruptError):
        remote.upload(src, rel, md5=md5_bytes(b"something else"))
    assert azure_proxy.counts == {"PUT": 5}  # the blocks went up, the block list did not
    assert _names(azurite_of(azure_proxy), azure_container) == []
    azure_proxy.clear()
    azure_proxy.add("500", method="PUT", path="comp=block&", times=1)
    remote.upload(src, rel, md5=md5_bytes(data))
    assert azure_proxy.counts == {"PUT": 5 + 1 + 1}  # five blocks, one retried, the block list
    azure_proxy.clear()
    azure_proxy.add("truncate", method="GET", times=1)
    assert remote.download(rel, tmp_path / "dl") == md5_bytes(data)
    assert (tmp_path / "dl").read_bytes() == data
    assert azure_proxy.counts.get("GET", 0) == 1 + 5  # the cut one, then the first range + 4
    bad = bytearray(data)
    bad[7 * mib] ^= 0xFF  # same size, one byte off in the fourth range
    _put(proxied(azure_proxy), azure_container, rel, bytes(bad))
    assert remote.download(rel, tmp_path / "dl2") == md5_bytes(bytes(bad))


def azurite_of(proxy: FaultProxy) -> str:
    """Azurite's endpoint behind ``proxy``."""
    host, port = proxy.upstream
    return f"http://{host}:{port}/{ACCOUNT}"


# -- options and credentials --------------------------------------------------------------
def _sas(container: str, **perms: bool) -> str:
    expiry = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    return generate_container_sas(ACCOUNT, container, account_key=KEY,
                                  permission=ContainerSasPermissions(**perms), expiry=expiry)


def _round_trip(remote: AzureRemote, tmp_path: Path) -> None:
    src = tmp_path / "rt"
    src.write_bytes(b"round trip\n")
    md5 = md5_bytes(b"round trip\n")
    rel = object_relpath(HashInfo(MD5, md5))
    remote.upload(src, rel, md5=md5)
    assert remote.exists_many([rel]) == {rel}
    assert remote.download(rel, tmp_path / "rt.dl") == md5


@pytest.mark.parametrize(("how", "login"), [
    ("account_key", "account key"), ("sas_token", "SAS token"), ("connection_string", "connection string"),
    ("env_connection_string", "connection string"), ("az_config", "account key"),
    ("sas_over_principal", "SAS token"), ("container_from_az_config", "connection string")])
def test_each_way_to_log_in(how: str, login: str, azurite: str, azure_container: str, tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(azureclient.ENDPOINT_ENV, azurite)
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(tmp_path / "az"))
    opts: dict[str, str] = {"account_name": ACCOUNT}
    if how == "account_key":
        opts["account_key"] = KEY
    elif how in ("sas_token", "sas_over_principal"):  # NOTE: adlfs' order: a SAS beats a principal
        opts["sas_token"] = _sas(azure_container, read=True, write=True, list=True, create=True)
        if how == "sas_over_principal":
            opts.update(tenant_id="t", client_id="c", client_secret="s")
    elif how == "connection_string":
        opts = {"connection_string": connection_string(azurite)}
    elif how in ("env_connection_string", "container_from_az_config"):
        opts = {}
        monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", connection_string(azurite))
        monkeypatch.setenv("AZURE_STORAGE_CONTAINER_NAME", azure_container)
    else:  # NOTE: the Azure CLI's config file, as DVC reads it (account and key)
        opts = {}
        (tmp_path / "az").mkdir()
        (tmp_path / "az" / "config").write_text(f"[storage]\naccount = {ACCOUNT}\nkey = {KEY}\n")
    cfg = _cfg(azure_container, **opts)
    if how == "container_from_az_config":  # NOTE: azure:// with no container, as DVC allows
        cfg = RemoteConfig("az", f"azure:///{PREFIX}", cfg.options)
    remote = open_remote(cfg)
    assert isinstance(remote, AzureRemote)
    assert remote.login == login and remote.container == azure_container
    _round_trip(remote, tmp_path)


def test_anonymous_login_reads_a_public_container(azurite: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    svc = BlobServiceClient.from_connection_string(connection_string(azurite))
    public = svc.create_container(f"pub-{tmp_path.name[-8:].lower().replace('_', '-')}",
                                  public_access="container")
    public.upload_blob(f"{PREFIX}/files/md5/ab/{'c' * 30}", b"open data")
    monkeypatch.setenv(azureclient.ENDPOINT_ENV, azurite)
    remote = open_remote(_cfg(public.container_name, account_name=ACCOUNT, allow_anonymous_login="true"))
    assert isinstance(remote, AzureRemote) and remote.login == "anonymous login"
    rels = [f"files/md5/ab/{c * 30}" for c in "cde"]
    assert remote.exists_many(rels) == {rels[0]}
    assert remote.download(rels[0], tmp_path / "dl") == md5_bytes(b"open data")


def test_service_principal_reaches_client_secret_credential(monkeypatch: pytest.MonkeyPatch) -> None:
    # NOTE: Azurite cannot check an AD token, and a token needs the network: this shows only that
    # the three options build azure-identity's ClientSecretCredential (no request is sent)
    from azure.identity import ClientSecretCredential

    monkeypatch.delenv(azureclient.ENDPOINT_ENV, raising=False)
    remote = open_remote(_cfg("box", account_name="acct", tenant_id="tenant-1", client_id="app-1",
                              client_secret="s3cr3t-value"))
    assert isinstance(remote, AzureRemote) and remote.login == "AD service principal"
    assert isinstance(remote.client.credential, ClientSecretCredential)
    assert remote.client.url == "https://acct.blob.core.windows.net/box"
    assert "s3cr3t-value" not in repr(remote) + repr(remote.__dict__)
    with pytest.raises(ConfigError) as exc:
        open_remote(_cfg("box", account_name="acct", tenant_id="tenant-1", client_id="app-1"))
    assert str(exc.value) == ("remote 'az' (azure://box/some/path): an AD service principal needs "
                              "tenant_id, client_id and client_secret; client_secret not set")


def test_default_credential_chain_honours_the_exclude_options(monkeypatch: pytest.MonkeyPatch) -> None:
    from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

    monkeypatch.delenv(azureclient.ENDPOINT_ENV, raising=False)

    def chain(**opts: str) -> set[str]:
        remote = open_remote(_cfg("box", account_name="acct", **opts))
        assert isinstance(remote, AzureRemote) and remote.login == "default credentials"
        cred = remote.client.credential
        assert isinstance(cred, DefaultAzureCredential)
        return {type(c).__name__ for c in cred.credentials}

    assert ManagedIdentityCredential.__name__ in chain()
    assert ManagedIdentityCredential.__name__ not in chain(exclude_managed_identity_credential="true")


BAD_KEY = "A" * 86 + "=="


@pytest.mark.parametrize(("case", "message"), [
    ("wrong key", ("check files/md5/ab/cdef0123456789abcdef0123456789 failed: AuthorizationFailure; "
                  "check the remote's credentials and that they may use this container")),
    ("no container", ("check files/md5/ab/cdef0123456789abcdef0123456789 failed: "
                     "container 'no-such-container' does not exist")),
    ("nothing listening", ("check files/md5/ab/cdef0123456789abcdef0123456789 failed: cannot connect to "
                          "http://127.0.0.1:1; check the remote's account_name or "
                          "connection_string and that the server is up")),
    ("read-only SAS", ("upload files/md5/ab/cdef0123456789abcdef0123456789 failed: "
                      "AuthorizationPermissionMismatch; the remote's credentials may not upload "
                      "here (permission denied)"))])
def test_bad_input_is_one_line(case: str, message: str, azurite: str, azure_container: str,
                               tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(azureclient, "RETRIES", 1)
    container = "no-such-container" if case == "no container" else azure_container
    endpoint = "http://127.0.0.1:1/devstoreaccount1" if case == "nothing listening" else azurite
    opts = {"connection_string": connection_string(endpoint, BAD_KEY if case == "wrong key" else KEY)}
    if case == "read-only SAS":
        monkeypatch.setenv(azureclient.ENDPOINT_ENV, azurite)
        opts = {"account_name": ACCOUNT, "sas_token": _sas(container, read=True, list=True)}
    remote = open_remote(_cfg(container, **opts))
    rel = "files/md5/ab/cdef0123456789abcdef0123456789"
    src = tmp_path / "src"
    src.write_bytes(b"x")
    with pytest.raises(RemoteError) as exc:
        if case == "read-only SAS":
            assert remote.exists_many([rel]) == set()  # reading is allowed
            remote.upload(src, rel)
        else:
            remote.exists_many([rel])
    assert str(exc.value) == f"remote azure://{container}/{PREFIX}: {message}"
    for secret in (KEY, BAD_KEY, opts.get("sas_token", KEY)):
        assert secret not in str(exc.value) + repr(exc.value)


def test_unknown_host_is_one_line_from_the_cli(dvcdoit: Runner, git_repo: Path) -> None:
    # NOTE: in a network namespace of its own (unshare -n) the name lookup fails at once and no
    # packet leaves the machine: a made-up name would otherwise go to the system's resolver
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-n", "true"], check=False).returncode:
        pytest.skip("unshare -n is not available here")
    write_tree(git_repo, {"f.txt": "x\n"})
    dvcdoit("init")
    dvcdoit("add", "f.txt")
    dvcdoit("remote", "add", "-d", "az", "azure://box/p")
    dvcdoit("remote", "modify", "--local", "az", "connection_string",
            connection_string("http://no-such-host.invalid:10000/devstoreaccount1"))
    proc = subprocess.run(["unshare", "-n", sys.executable, "-m", "dvcdoit", "push"], cwd=git_repo,
                          capture_output=True, text=True, check=False)
    rel = object_relpath(HashInfo(MD5, md5_bytes(b"x\n")))
    assert proc.returncode != 0
    assert proc.stderr.splitlines() == [
        (f"ERROR: remote azure://box/p: check {rel} "
        "failed: cannot connect to http://no-such-host.invalid:10000; check the remote's "
        "account_name or connection_string and that the server is up")]
    assert KEY not in proc.stdout + proc.stderr


@pytest.mark.parametrize(("opts", "message"), [
    ({}, ("remote 'az' (azure://box/some/path): Azure needs account_name or connection_string; set one "
         "with 'dvcdoit remote modify --local az account_name NAME'")),
    ({"connection_string": "nonsense"}, ("remote 'az' (azure://box/some/path): bad connection_string: "
                                        "Connection string is either blank or malformed.")),
    ({"account_name": ACCOUNT, "tenant_id": "bad tenant!", "client_id": "c", "client_secret": "hush"},
     ("remote 'az' (azure://box/some/path): AD service principal: Invalid tenant ID provided. You can "
      "locate your tenant ID by following the instructions here: "
      "https://learn.microsoft.com/partner-center/find-ids-and-domain-names")),
    ({"account_name": ACCOUNT, "tenant_id": "t", "client_id": "c", "client_secret": "hush"},
     ("remote 'az' (azure://box/some/path): AD service principal at http://127.0.0.1:1/devstoreaccount1: "
     "Token credential is only supported with HTTPS."))])
def test_config_errors_are_one_line(opts: Mapping[str, str], message: str, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv(azureclient.ENDPOINT_ENV, "http://127.0.0.1:1/devstoreaccount1")
    for var in ("CONNECTION_STRING", "ACCOUNT", "KEY", "SAS_TOKEN"):
        monkeypatch.delenv(f"AZURE_STORAGE_{var}", raising=False)
    with pytest.raises(ConfigError) as exc:
        open_remote(_cfg("box", **opts))
    assert str(exc.value) == message
    assert "hush" not in str(exc.value)


# -- interop with real DVC, through both command lines ------------------------------------
def _project(run: Runner, root: Path, container: str, endpoint: str) -> None:
    write_tree(root, {"data/a.txt": "hello\n", "data/sub/b.txt": "world\n", "nf.txt": "nf\n"})
    run("init")
    run("add", "data", "nf.txt")
    run("remote", "add", "-d", "az", f"azure://{container}/{PREFIX}")
    run("remote", "modify", "--local", "az", "connection_string", connection_string(endpoint))
    subprocess.run(["git", "add", "-A"], check=True, cwd=root)
    subprocess.run(["git", "commit", "-qm", "data"], check=True, cwd=root)


def _clone(src: Path, dest: Path, run: Runner, endpoint: str) -> Path:
    subprocess.run(["git", "clone", "-q", str(src), str(dest)], check=True)
    run("remote", "modify", "--local", "az", "connection_string", connection_string(endpoint), cwd=dest)
    return dest


@pytest.mark.interop
def test_dvcdoit_push_then_dvc_pull_in_a_fresh_clone(dvcdoit: Runner, dvc: Runner, git_repo: Path,
                                                     azurite: str, azure_container: str,
                                                     tmp_path: Path) -> None:
    _project(dvcdoit, git_repo, azure_container, azurite)
    assert dvcdoit("push").stdout.strip() == "4 files pushed"
    assert dvc("status", "-c").stdout == "Cache and remote 'az' are in sync.\n"
    clone = _clone(git_repo, tmp_path / "clone", dvc, azurite)
    dvc("pull", "-q", cwd=clone)
    assert (clone / "data/sub/b.txt").read_text() == "world\n"
    assert (clone / "nf.txt").read_text() == "nf\n"
    assert len(_names(azurite, azure_container)) == 4


@pytest.mark.interop
def test_dvc_push_then_dvcdoit_pull_in_a_fresh_clone(dvcdoit: Runner, dvc: Runner, git_repo: Path,
                                                     azurite: str, azure_container: str,
                                                     tmp_path: Path) -> None:
    _project(dvc, git_repo, azure_container, azurite)
    assert dvc("push").stdout.strip() == "4 files pushed"
    clone = _clone(git_repo, tmp_path / "clone", dvcdoit, azurite)
    assert dvcdoit("status", "-c", cwd=clone).stdout.count("deleted") == 3
    dvcdoit("pull", cwd=clone)
    assert (clone / "data/a.txt").read_text() == "hello\n"
    assert (clone / "nf.txt").read_text() == "nf\n"
    assert dvcdoit("push", cwd=clone).stdout.strip() == "Everything is up to date."
