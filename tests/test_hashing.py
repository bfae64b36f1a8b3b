"""Spec §16 test vectors, golden ``.dir`` manifests from real DVC, and manifest round trips."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dvcdoit.core.errors import CacheError, FormatError
from dvcdoit.core.hashing import (
    MD5,
    HashInfo,
    ManifestEntry,
    dir_hash,
    hash_file,
    hash_stream,
    manifest_bytes,
    md5_bytes,
    object_relpath,
    parse_manifest,
)

GOLDEN = Path(__file__).parent / "golden"
EXPECTED = json.loads((GOLDEN / "expected.json").read_text())
DIR_CASES = sorted(k for k, v in EXPECTED.items() if "manifest" in v)


def _h(data: bytes, name: str = "md5") -> str:
    return hash_stream(io.BytesIO(data), name)


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b"foo\r\nbar\n", "md5", "b18ef82e09889f1c2dbe702732fc4f2a"),
        (b"foo\r\nbar\n", "md5-dos2unix", "f47c75614087a8dd938ba4acff252494"),
        (b"hello\n", "md5", "b1946ac92492d2347c6235b4d2611184"),
        (b"world\n", "md5", "591785b794601e212b260e25925636fd"),
        (b"", "md5", "d41d8cd98f00b204e9800998ecf8427e"),
        (b"a\r\n", "md5-dos2unix", "60b725f10c9c85c70d97880dfe8191b3"),
        (b"b\n", "md5-dos2unix", "3b5d5c3712955042212316173ccf37be"),
        # CRLF split across the 1 MiB chunk boundary is kept (dvc-data 3.18.3's hasher)
        (b"a" * (2**20 - 1) + b"\r\n" + b"b\r\n", "md5-dos2unix",
         "deb8178cc400550795d42d701b97846d"),
        # binary chunk (NUL in the first 512 bytes): CRLF is not converted
        (b"\x00\r\n", "md5-dos2unix", md5_bytes(b"\x00\r\n")),
    ],
)
def test_file_vectors(data: bytes, name: str, expected: str) -> None:
    assert _h(data, name) == expected


def test_hash_file_reads_raw_bytes(tmp_path: Path) -> None:
    p = tmp_path / "f"
    p.write_bytes(b"foo\r\nbar\n")
    assert hash_file(p) == "b18ef82e09889f1c2dbe702732fc4f2a"
    assert hash_file(p, "md5-dos2unix") == "f47c75614087a8dd938ba4acff252494"


def test_dir_vector_spec_2_4() -> None:
    entries = [ManifestEntry("sub/b.txt", "591785b794601e212b260e25925636fd"),
               ManifestEntry("a.txt", "b1946ac92492d2347c6235b4d2611184")]
    oid, data = dir_hash(entries)
    assert data == (b'[{"md5": "b1946ac92492d2347c6235b4d2611184", "relpath": "a.txt"}, '
                    b'{"md5": "591785b794601e212b260e25925636fd", "relpath": "sub/b.txt"}]')
    assert len(data) == 134
    assert oid == "5369cb520f35f5d77e793cf181884a27.dir"


def test_dir_vector_tricky_names() -> None:
    entries = [ManifestEntry("caf\u00e9.txt", _h(b"x\n")), ManifestEntry("a-b/z", _h(b"z\n")),
               ManifestEntry("a", _h(b"w\n")), ManifestEntry("Z", _h(b"v\n")),
               ManifestEntry('B/"q".txt', _h(b"y\n"))]
    oid, data = dir_hash(entries)
    assert data.startswith(b'[{"md5": "009520053b00386d1173f3988c55d192", "relpath": "B/\\"q\\".txt"}')
    assert data.endswith(b'"relpath": "caf\\u00e9.txt"}]')
    assert oid == "d3d611f2de3e4cc55e6c34ba053b5c16.dir"


def test_empty_and_legacy_dir_vectors() -> None:
    assert dir_hash([]) == ("d751713988987e9331980363e24189ce.dir", b"[]")
    legacy = [ManifestEntry("x.txt", _h(b"a\r\n", "md5-dos2unix")),
              ManifestEntry("y.txt", _h(b"b\n", "md5-dos2unix"))]
    assert dir_hash(legacy)[0] == "7feddf007e6e3577837d6ca0cff88683.dir"


@pytest.mark.parametrize("case", DIR_CASES)
def test_golden_manifests_round_trip(case: str) -> None:
    """Bytes written by real DVC parse and re-serialise identically, and hash to the out's md5."""
    exp = EXPECTED[case]
    data = (GOLDEN / exp["manifest"]).read_bytes()
    entries = parse_manifest(data, case)
    assert manifest_bytes(entries) == data
    assert dir_hash(entries) == (exp["md5"], data)
    assert len(entries) == exp["nfiles"]


def test_golden_tricky_sorting_is_code_point_order() -> None:
    data = (GOLDEN / EXPECTED["tricky_dir"]["manifest"]).read_bytes()
    rel = [e.relpath for e in parse_manifest(data, "t")]
    assert rel == ['B/"q".txt', "Z", "a-b/z", "a/c", "a0", "b", "caf\u00e9.txt", "sp ace.txt"]


def test_object_relpath() -> None:
    assert object_relpath(HashInfo("md5", "5369cb520f35f5d77e793cf181884a27.dir")) == \
        "files/md5/53/69cb520f35f5d77e793cf181884a27.dir"
    assert object_relpath(HashInfo("md5-dos2unix", "f47c75614087a8dd938ba4acff252494")) == \
        "f4/7c75614087a8dd938ba4acff252494"


_segment = st.text(alphabet=st.characters(exclude_categories=["Cs"],
                                          exclude_characters="/\\\x00"),
                   min_size=1, max_size=8).filter(lambda s: s not in (".", ".."))
_relpath = st.lists(_segment, min_size=1, max_size=4).map("/".join)
_md5 = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)


@given(st.dictionaries(_relpath, _md5, max_size=20))
def test_manifest_round_trip(files: dict[str, str]) -> None:
    entries = [ManifestEntry(r, m) for r, m in files.items()]
    data = manifest_bytes(entries)
    back = parse_manifest(data, "m")
    assert back == sorted(entries, key=lambda e: e.relpath)
    assert manifest_bytes(back) == data
    assert data.isascii()


@given(st.dictionaries(st.text(min_size=1, max_size=12), _md5, max_size=20))
def test_manifest_bytes_are_json_dumps_of_sorted_dicts(files: dict[str, str]) -> None:
    """The row-by-row writer equals DVC's ``json.dumps(sorted dicts, sort_keys=True)``."""
    entries = [ManifestEntry(r, m) for r, m in files.items()]
    rows = [{"md5": m, "relpath": r} for r, m in sorted(files.items())]
    assert manifest_bytes(entries) == json.dumps(rows, sort_keys=True).encode()


def _manifest(*relpaths: str) -> bytes:
    return json.dumps([{"md5": "d41d8cd98f00b204e9800998ecf8427e", "relpath": r}
                       for r in relpaths]).encode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_manifest("/etc/passwd"), "m.dir: [0]: relpath '/etc/passwd' is absolute"),
        (_manifest("ok", "../../x"),
         "m.dir: [1]: relpath '../../x' contains '..', '.' or an empty component"),
        (_manifest("a/../b"), "m.dir: [0]: relpath 'a/../b' contains '..', '.' or an empty component"),
        (_manifest("a//b"), "m.dir: [0]: relpath 'a//b' contains '..', '.' or an empty component"),
        (_manifest("a\\b"), "m.dir: [0]: relpath 'a\\\\b' contains a backslash or NUL"),
        (_manifest(""), "m.dir: [0]: empty relpath"),
        (_manifest("x", "x"), "m.dir: [1]: duplicate relpath 'x'"),
        (_manifest("/a", ".."), ("m.dir: [0]: relpath '/a' is absolute; "
                                "m.dir: [1]: relpath '..' contains '..', '.' or an empty component")),
        (b'{"a": 1}', "m.dir: a .dir manifest must be a JSON list"),
        (b"[1]", "m.dir: [0]: not an object"),
        (b'[{"relpath": "x"}]', "m.dir: [0]: needs string 'relpath' and 'md5'"),
    ],
)
def test_parse_manifest_refuses(data: bytes, message: str) -> None:
    with pytest.raises(FormatError) as exc:
        parse_manifest(data, "m.dir")
    assert str(exc.value) == message


@pytest.mark.parametrize(
    "md5", ["../../../../../outside/secret.txt", "d41d8cd98f00b204e9800998ecf8427e.dir",
            "d41d8cd98f00b204e9800998ecf8427", "d41d8cd98f00b204e9800998ecf8427e\n", ""],
)
def test_parse_manifest_refuses_a_bad_member_md5(md5: str) -> None:
    data = json.dumps([{"md5": md5, "relpath": "a"}]).encode()
    with pytest.raises(FormatError) as exc:
        parse_manifest(data, "m.dir")
    assert str(exc.value) == f"m.dir: [0]: md5 {md5!r} of 'a' is not an md5 hash (32 hex digits)"


@pytest.mark.parametrize("value", ["../x", "ab/../../cd", "", "D41D8CD98F00B204E9800998ECF8427E",
                                   "d41d8cd98f00b204e9800998ecf8427e.dir/.."])
def test_object_relpath_refuses_a_non_hex_oid(value: str) -> None:
    with pytest.raises(CacheError) as exc:
        object_relpath(HashInfo(MD5, value))
    assert str(exc.value) == (f"refusing object id {value!r}: not an md5 hash (32 hex digits, "
                              "optionally followed by '.dir')")


def test_parse_manifest_refuses_garbage() -> None:
    with pytest.raises(FormatError, match=r"^m\.dir: not a valid \.dir manifest"):
        parse_manifest(b"\xff[", "m.dir")
