"""StateDB: a hash is trusted only while (inode, mtime_ns, size) is unchanged."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from dvcdoit.core.state import Signature, StateDB


def test_get_set_and_invalidation(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_text("x")
    db = StateDB(tmp_path / "tmp" / "state.db")
    sig = Signature.of(os.stat(f))
    assert db.get(str(f), "md5", sig) is None
    db.set_many([(str(f), "md5", sig, "abc")])
    assert db.get(str(f), "md5", sig) == "abc"
    assert db.get(str(f), "md5-dos2unix", sig) is None
    os.utime(f, ns=(1, 1))
    assert db.get(str(f), "md5", Signature.of(os.stat(f))) is None


def test_get_under_prefix_only(tmp_path: Path) -> None:
    db = StateDB(tmp_path / "state.db")
    s = Signature(1, 2, 3)
    db.set_many([("/r/d/a", "md5", s, "1"), ("/r/d/sub/b", "md5", s, "2"),
                 ("/r/d2/c", "md5", s, "3"), ("/r/d", "md5", s, "4")])
    assert set(db.get_under("/r/d", "md5")) == {"/r/d/a", "/r/d/sub/b"}


def test_shared_across_connections(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    a, b = StateDB(path), StateDB(path)
    s = Signature(1, 2, 3)
    a.set_many([("/x", "md5", s, "v")])
    assert b.get("/x", "md5", s) == "v"
    a.close()
    b.close()


def test_threads_write_at_once(tmp_path: Path) -> None:
    """doit's thread runner records stages in parallel through one StateDB: no thread's
    transaction may nest in another's ('cannot start a transaction within a transaction')."""
    db = StateDB(tmp_path / "state.db")
    s = Signature(1, 2, 3)
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def work(t: int) -> None:
        start.wait()
        try:
            for i in range(200):
                db.set_many([(f"/t{t}/{i}/{j}", "md5", s, "v") for j in range(20)])
                db.mark_complete(f"{t}-{i}")
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert len(db.get_under("/t3", "md5")) == 200 * 20
    db.close()
    assert db.get("/t0/0/0", "md5", s) == "v"  # reopened after close
    db.close()
