"""verbs.report renderers: DVC's exact wording for push/fetch/pull summaries and status -c."""

from __future__ import annotations

from dvcdoit.core.hashing import MD5, HashInfo
from dvcdoit.storage.transfer import TransferResult
from dvcdoit.verbs.cloud import SyncResult
from dvcdoit.verbs.report import render_cloud_status, render_transfer, summary, sync_lines

A = HashInfo(MD5, "b1946ac92492d2347c6235b4d2611184")
B = HashInfo(MD5, "591785b794601e212b260e25925636fd")


def test_summary_wording() -> None:
    assert summary([("fetched", 4), ("added", 1)]) == "4 files fetched and 1 file added"
    assert summary([("pushed", 1)]) == "1 file pushed"
    assert summary([("a", 1), ("b", 2), ("c", 3)]) == "1 file a, 2 files b and 3 files c"
    assert summary([("pushed", 0)]) == ""


def test_render_transfer() -> None:
    assert render_transfer(TransferResult(), "push") == ["Everything is up to date."]
    ok = TransferResult(transferred=(("a", A), ("b", B)))
    assert render_transfer(ok, "push") == ["2 files pushed"]
    assert sync_lines("push", SyncResult(ok))[1] == 0
    bad = TransferResult(transferred=(("a", A),), failed=(("b", B, "boom"),), missing=(("c", A),))
    assert render_transfer(bad, "fetch") == [
        "WARNING: Some of the cache files do not exist neither locally nor on remote. Missing cache files:",
        "name: c, md5: b1946ac92492d2347c6235b4d2611184",
        "ERROR: failed to transfer 'b' (591785b794601e212b260e25925636fd) - boom",
        "ERROR: failed to fetch data from the cloud - 2 files failed to download",
    ]  # NOTE: no "1 file fetched": DVC's error replaces its summary
    only_missing = TransferResult(transferred=(("a", A),), missing=(("c", A),))
    assert render_transfer(only_missing, "push")[2:] == [
        "1 file pushed", "ERROR: failed to push data to the cloud - 1 files failed to upload"]
    assert sync_lines("fetch", SyncResult(bad))[1] == 1


def test_render_cloud_status() -> None:
    st = {"data/a.txt": "new", "nf.txt": "deleted", "gone": "missing"}
    assert render_cloud_status(st, "r") == [
        "\tnew:                data/a.txt", "\tdeleted:            nf.txt", "\tmissing:            gone"]
    assert render_cloud_status(st, "r", indent=False)[0] == "new:                data/a.txt"
    assert render_cloud_status(st, "r", as_json=True) == [
        '{"data/a.txt": "new", "nf.txt": "deleted", "gone": "missing"}']
    assert render_cloud_status({}, "r") == ["Cache and remote 'r' are in sync."]
