"""What the kill -9 suite inspects: objects, metadata files, workspace files, temps, S3."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path


def is_temp(name: str) -> bool:
    """Any temp-looking name: ours (``.dvcdoit-…``) or another scheme's ``.*.tmp``."""
    return name.startswith(".") and name.endswith(".tmp")


def objects(base: Path) -> dict[str, Path]:
    """The objects below a cache or local-remote root: ``{'ab/cdef…[.dir]': path}``."""
    root = base / "files" / "md5"
    out: dict[str, Path] = {}
    if root.is_dir():
        for d in root.iterdir():
            for f in d.iterdir():
                if not is_temp(f.name):
                    out[f"{d.name}/{f.name}"] = f
    return out


def metadata_files(root: Path) -> dict[str, bytes]:
    """Every ``.dvc`` file, ``dvc.lock``, ``.gitignore`` and ``.dvc/config`` in the repo, by relpath."""
    out: dict[str, bytes] = {}
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in (".git", ".dvc")]
        for name in files:
            if name.endswith(".dvc") or name in ("dvc.lock", ".gitignore"):
                p = Path(dirpath) / name
                out[p.relative_to(root).as_posix()] = p.read_bytes()
    cfg = root / ".dvc" / "config"
    if cfg.exists():
        out[".dvc/config"] = cfg.read_bytes()
    return out


def workspace_files(root: Path) -> dict[str, str]:
    """md5 of every workspace file outside ``.git``/``.dvc`` (temps included: they are debris)."""
    out: dict[str, str] = {}
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in (".git", ".dvc")]
        for name in files:
            p = Path(dirpath) / name
            out[p.relative_to(root).as_posix()] = hashlib.md5(p.read_bytes()).hexdigest()
    return out


def temps_below(*roots: Path) -> list[str]:
    """Every temp-named file below ``roots`` (``.git`` skipped)."""
    found = []
    for root in roots:
        for dirpath, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if d != ".git"]
            found += [f"{dirpath}/{n}" for n in files if is_temp(n)]
            if Path(dirpath).name == "s3-uploads":
                found += [f"{dirpath}/{n}" for n in files if not n.startswith("listed-")]
    return found


def check_objects(named: dict[str, bytes | Path], where: str) -> list[str]:
    """``object-name`` problems: content not matching its name, or a ``.dir`` that does not parse."""
    bad = []
    for name, src in named.items():
        data = src.read_bytes() if isinstance(src, Path) else src
        oid = name.replace("/", "")
        if hashlib.md5(data).hexdigest() != oid.removesuffix(".dir"):
            bad.append(f"{where} {name}: content does not match its name")
        elif oid.endswith(".dir"):
            try:
                entries = json.loads(data)
                assert all(isinstance(e["md5"], str) and isinstance(e["relpath"], str)
                           for e in entries)
            except (ValueError, KeyError, TypeError, AssertionError):
                bad.append(f"{where} {name}: .dir does not parse")
    return bad


def dir_members_missing(named: dict[str, bytes | Path]) -> list[str]:
    """``remote-dir-incomplete`` problems: a ``.dir`` whose members are not all there."""
    bad = []
    for name, src in named.items():
        if not name.endswith(".dir"):
            continue
        data = src.read_bytes() if isinstance(src, Path) else src
        try:
            members = [e["md5"] for e in json.loads(data)]
        except (ValueError, KeyError, TypeError):
            continue
        lacking = [m for m in members if f"{m[:2]}/{m[2:]}" not in named]
        if lacking:
            bad.append(f"remote {name}: {len(lacking)} members missing")
    return bad


class S3Side:
    """The S3 side of the scenarios: a bucket on a moto server, one key prefix per repo."""

    def __init__(self, endpoint: str, bucket: str) -> None:
        import boto3

        self.endpoint = endpoint
        self.bucket = bucket
        self.client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                                   aws_access_key_id="testing", aws_secret_access_key="testing")
        self.client.create_bucket(Bucket=bucket)

    def objects(self, prefix: str, read: bool = True) -> dict[str, bytes | Path]:
        """``{'ab/cdef…': bytes}`` of the objects below ``prefix/files/md5/`` (``b""`` for
        each when not ``read``: the names only)."""
        base = f"{prefix}/files/md5/"
        out: dict[str, bytes | Path] = {}
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                         Prefix=base):
            for obj in page.get("Contents", ()):
                body = b""
                if read:
                    body = self.client.get_object(Bucket=self.bucket, Key=obj["Key"])["Body"].read()
                out[obj["Key"][len(base):]] = body
        return out

    def uploads(self, prefix: str) -> list[str]:
        """Keys of the unfinished multipart uploads below ``prefix``."""
        resp = self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=prefix + "/")
        return [u["Key"] for u in resp.get("Uploads", ())]
