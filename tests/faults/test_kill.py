"""The quick form of the kill -9 fault suite (:mod:`tests.faults.killer`): 36 seeded points.

Four kill points for each of nine operations (add, re-add, repro, repro after a param
change, push, pull, gc -w -f, S3 push, S3 pull against the moto server), on a small dataset so the
whole file runs in about two minutes. The full form, ``python -m tests.faults --points 200``,
runs the same engine on the full dataset (a 70 MiB file, so S3 pushes go multipart).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.faults.killer import KINDS, Killer, Report, S3Side, Sizes, default_dvc

pytestmark = [pytest.mark.e2e, pytest.mark.interop]
POINTS_PER_OP = 4
QUICK = Sizes(small=60, dirs=6, large=10 << 20)  # NOTE: over 8 MiB: added by the large-file path
LOCAL_OPS = ["add", "re-add", "repro", "repro-param", "push", "pull", "gc"]
S3_OPS = ["s3-push", "s3-pull"]


def _campaign(tmp_path: Path, op: str, s3: S3Side | None, seed: int) -> Report:
    dvc_bin = default_dvc()
    killer = Killer(tmp_path, QUICK, s3, dvc_bin)
    report = killer.campaign(POINTS_PER_OP, seed, [op])
    assert report.tried == POINTS_PER_OP
    assert report.killed + report.finished == report.tried
    return report


def _assert_clean(report: Report) -> None:
    assert report.by_kind() == dict.fromkeys(KINDS, 0), "\n".join(report.lines())
    assert (report.manual, report.debris) == (0, 0)


@pytest.mark.parametrize("op", LOCAL_OPS)
def test_kill_local(tmp_path: Path, op: str, dvc: object) -> None:
    _assert_clean(_campaign(tmp_path, op, None, seed=LOCAL_OPS.index(op)))


@pytest.mark.s3
@pytest.mark.parametrize("op", S3_OPS)
def test_kill_s3(tmp_path: Path, op: str, moto_endpoint: str, s3_env: dict[str, str],
                 dvc: object) -> None:
    s3 = S3Side(moto_endpoint, f"k-{uuid.uuid4().hex[:12]}")
    _assert_clean(_campaign(tmp_path, op, s3, seed=10 + S3_OPS.index(op)))


def test_the_checks_catch_what_they_look_for(tmp_path: Path) -> None:
    """The engine's checks are not vacuous: a misnamed object, a .dir whose members are
    missing and a temp file are each reported."""
    from tests.faults.killer import check_objects, dir_members_missing, objects, temps_below

    obj = tmp_path / "files/md5/ab/cdef"
    obj.parent.mkdir(parents=True)
    obj.write_bytes(b"not what the name says")
    manifest = b'[{"md5": "0123456789abcdef0123456789abcdef", "relpath": "x"}]'
    import hashlib

    oid = hashlib.md5(manifest).hexdigest()
    (tmp_path / f"files/md5/{oid[:2]}").mkdir(exist_ok=True)
    (tmp_path / f"files/md5/{oid[:2]}/{oid[2:]}.dir").write_bytes(manifest)
    (tmp_path / "files/md5/ab/.dvcdoit-1-a.tmp").write_bytes(b"")
    named = dict(objects(tmp_path))
    assert sorted(named) == sorted(["ab/cdef", f"{oid[:2]}/{oid[2:]}.dir"])
    assert check_objects(named, "cache") == ["cache ab/cdef: content does not match its name"]
    assert dir_members_missing(named) == [f"remote {oid[:2]}/{oid[2:]}.dir: 1 members missing"]
    assert temps_below(tmp_path) == [f"{tmp_path}/files/md5/ab/.dvcdoit-1-a.tmp"]
