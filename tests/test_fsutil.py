"""fsutil.copy_hashed: an in-kernel copy hashed as it lands."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dvcdoit.core import fsutil
from dvcdoit.core.hashing import md5_bytes


@pytest.mark.parametrize("size", [0, 1, (16 << 20) * 2 + 12345])
def test_copy_hashed_digest_is_of_the_copy(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    (tmp_path / "src").write_bytes(data)
    digest, st = fsutil.copy_hashed(str(tmp_path / "src"), str(tmp_path / "dst"), 0o444)
    assert digest == md5_bytes(data)
    assert st.st_size == size
    assert (tmp_path / "dst").read_bytes() == data
    assert stat.S_IMODE(os.stat(tmp_path / "dst").st_mode) == 0o444 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_copy_hashed_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "src").write_bytes(b"new")
    (tmp_path / "dst").write_bytes(b"old")
    with pytest.raises(FileExistsError):
        fsutil.copy_hashed(str(tmp_path / "src"), str(tmp_path / "dst"))
    assert (tmp_path / "dst").read_bytes() == b"old"


def test_copy_hashed_removes_its_copy_when_the_copy_fails(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "src").write_bytes(os.urandom(40 << 20))
    calls = []

    def failing(fin: int, fout: int, size: int) -> None:
        calls.append(size)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        os.write(fout, os.read(fin, size))

    monkeypatch.setattr(fsutil, "_copy_fd", failing)
    with pytest.raises(OSError, match="No space left"):
        fsutil.copy_hashed(str(tmp_path / "src"), str(tmp_path / "dst"))
    assert not (tmp_path / "dst").exists()


def test_copy_hashed_of_a_source_that_shrinks_meanwhile_is_short(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    data = os.urandom(40 << 20)
    src = tmp_path / "src"
    src.write_bytes(data)
    real = fsutil._copy_fd
    calls = []

    def copy_then_truncate(fin: int, fout: int, size: int) -> None:
        real(fin, fout, size)
        calls.append(size)
        if len(calls) == 1:
            os.truncate(src, 20 << 20)  # a writer cuts the file after the first 16 MiB

    monkeypatch.setattr(fsutil, "_copy_fd", copy_then_truncate)
    digest, st = fsutil.copy_hashed(str(src), str(tmp_path / "dst"))
    assert st.st_size == 20 << 20
    assert digest == md5_bytes(data[:20 << 20])
    assert (tmp_path / "dst").read_bytes() == data[:20 << 20]
