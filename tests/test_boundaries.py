"""Every verb of the CLI under real faults: no traceback ever reaches the user, one ERROR line.

Faults are real, not patched: ``chmod 000`` files and directories (run without the
DAC-override capability when the tests run as root, so that permissions apply), a directory
tree made read-only, a tmpfs remounted read-only (EROFS), a tmpfs filled to the last byte
(ENOSPC), names over 255 bytes (ENAMETOOLONG), stdout a pipe whose reader has gone (EPIPE),
and S3 remotes without credentials or with the endpoint down. Faults that need root (mount)
or setpriv skip with the reason when this machine cannot make them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import DVC_ENV, write_tree
from tests.s3server import free_port

DVC_YAML = "stages:\n  copy:\n    cmd: cp in.txt out.txt\n    deps:\n    - in.txt\n    outs:\n    - out.txt\n"
LONG = "L" * 251 + ".txt"  # NOTE: 255 bytes, the limit: the file exists, LONG.dvc cannot
TOO_LONG = "T" * 300
NODAC = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"]
"""Run as root without the capabilities that bypass file permissions (the python here lives
under /root, so another uid could not even start it)."""

VERBS: list[tuple[str, ...]] = [
    ("add", "new.txt"), ("add", "data"), ("add", "in.txt"),
    ("status",), ("status", "--json"), ("status", "-c"),
    ("commit", "-f"), ("checkout",), ("checkout", "-f"),
    ("push",), ("fetch",), ("pull",), ("pull", "-f"),
    ("remote", "list"), ("remote", "add", "other", "../other"),
    ("remote", "modify", "local", "jobs", "2"), ("remote", "default", "local"),
    ("remote", "remove", "other"),
    ("run", "-n", "two", "-d", "in.txt", "-o", "two.txt", "cp in.txt two.txt"),
    ("stage", "add", "-n", "three", "-d", "in.txt", "-o", "three.txt", "cp in.txt three.txt"),
    ("repro",), ("repro", "-f"), ("dag",), ("dag", "--mermaid"), ("migrate",),
    ("init",),  # NOTE: run in sub/, a directory of the repo that has no .dvc/ yet
]
LONG_VERBS: list[tuple[str, ...]] = [
    ("add", LONG), ("add", TOO_LONG), ("status", TOO_LONG), ("commit", "-f", TOO_LONG),
    ("checkout", TOO_LONG), ("push", TOO_LONG), ("fetch", TOO_LONG), ("pull", TOO_LONG),
    ("run", "-n", "long", "-d", "in.txt", "-o", TOO_LONG, "cp in.txt x"),
    ("stage", "add", "-n", "long", "-d", TOO_LONG, "-o", "y", "cp in.txt y"),
    ("repro", TOO_LONG), ("remote", "add", TOO_LONG, "../x"),
    ("remote", "add", "far", "../" + TOO_LONG), ("push", "-r", "far"),
]
CLOUD_VERBS: list[tuple[str, ...]] = [("push",), ("fetch",), ("pull",), ("status", "-c")]


@dataclass
class Outcome:
    """One verb's run under a fault."""

    argv: tuple[str, ...]
    code: int
    out: str
    err: str
    problems: list[str] = field(default_factory=list)


def _dvcdoit(argv: Sequence[str], cwd: Path, prefix: Sequence[str] = (),
             env: dict[str, str] | None = None, stdout: int | None = subprocess.PIPE,
             timeout: float = 60) -> tuple[int, str, str]:
    full_env = {**os.environ, **DVC_ENV, **(env or {})}
    for key in [k for k, v in full_env.items() if v == "<unset>"]:
        del full_env[key]
    proc = subprocess.run([*prefix, sys.executable, "-m", "dvcdoit", *argv], cwd=cwd,
                          stdout=stdout, stderr=subprocess.PIPE, text=True, env=full_env,
                          timeout=timeout, check=False)
    return proc.returncode, proc.stdout or "", proc.stderr


def judge(argv: tuple[str, ...], code: int, out: str, err: str) -> Outcome:
    """Check the boundary contract: no traceback; a failure is exactly one ``ERROR:`` line.

    Transfers report per object (DVC's wording, ``ERROR: failed to transfer …`` then the
    summary): there every ERROR line must name an object or the summary, and nothing else.
    """
    res = Outcome(argv, code, out, err)
    text = out + err
    if "Traceback" in text or "Exception ignored" in text:
        res.problems.append("traceback")
    errors = [ln for ln in err.splitlines() if ln.startswith("ERROR:")]
    if code == 1 and argv[0] == "repro" and _task_failure(out):
        return res  # NOTE: a failed stage is doit's report: TaskFailed, then our one line
    if code != 0 and not errors:
        res.problems.append("failed without an ERROR line")
    per_object = [ln for ln in errors if ln.startswith(("ERROR: failed to transfer '",
                                                        "ERROR: failed to push", "ERROR: failed to f",
                                                        "ERROR: failed to pull", "ERROR: checkout failed for: "))]
    if len(errors) > 1 and len(per_object) != len(errors):
        res.problems.append(f"{len(errors)} ERROR lines")
    return res


def _task_failure(out: str) -> bool:
    """True if ``out`` holds doit's report of a failed task followed by one message line."""
    lines = out.splitlines()
    return any(ln.startswith("TaskFailed - taskid:repro:") and i + 1 < len(lines)
               and lines[i + 1].startswith(("failed to reproduce '", "failed to verify '"))
               for i, ln in enumerate(lines))


def run_all(verbs: Sequence[tuple[str, ...]], repo: Path, prefix: Sequence[str] = (),
            env: dict[str, str] | None = None) -> list[Outcome]:
    """Run every verb in ``repo`` (``init`` in ``repo/sub``) and judge each run."""
    outcomes = []
    for argv in verbs:
        cwd = repo / "sub" if argv == ("init",) else repo
        outcomes.append(judge(argv, *_dvcdoit(argv, cwd, prefix, env)))
    return outcomes


def assert_clean(outcomes: list[Outcome], *, must_fail: Sequence[tuple[str, ...]] = ()) -> None:
    """Fail with every offending verb at once; ``must_fail`` verbs must have exited non-zero."""
    if os.environ.get("SHOW"):
        print("\n".join(f"{o.argv[:3]} {o.code} {o.err.strip()[:200]!r}" for o in outcomes))
    bad = [o for o in outcomes if o.problems or (o.argv in must_fail and o.code == 0)]
    report = "\n".join(f"{' '.join(o.argv)[:60]} -> {o.code} {o.problems}\n{o.out[-300:]}{o.err[-1500:]}"
                       for o in bad)
    assert not bad, report


# -- the project every fault starts from ---------------------------------------------------
@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``base/repo``: a tracked file and directory, a stage run once, pushed to ``base/remote``."""
    base = tmp_path_factory.mktemp("template")
    repo = base / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    write_tree(repo, {"in.txt": "in\n", "data/a": "a\n", "data/b": "b\n", "dvc.yaml": DVC_YAML,
                      "sub/keep": "k\n"})
    for argv in (("init",), ("add", "data"), ("repro",), ("remote", "add", "-d", "local", "../remote"),
                 ("push",)):
        code, out, err = _dvcdoit(argv, repo)
        assert code == 0, (argv, out, err)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, capture_output=True)
    subprocess.run(["git", "commit", "-qm", "t"], cwd=repo, check=True,
                   env={**os.environ, **DVC_ENV})
    write_tree(repo, {"new.txt": "new\n", "in.txt": "changed\n", LONG: "long\n"})
    return base


def _copy(template: Path, dest: Path) -> Path:
    shutil.copytree(template, dest, symlinks=True)
    return dest / "repo"


def _can_drop_dac() -> bool:
    if os.geteuid() != 0:
        return True
    if shutil.which("setpriv") is None:
        return False
    probe = subprocess.run([*NODAC, "cat", "/proc/self/status"], capture_output=True, text=True,
                           check=False)
    return probe.returncode == 0


def _no_dac() -> list[str]:
    """The prefix that makes file permissions apply to this process, or skip."""
    if not _can_drop_dac():
        pytest.skip("running as root and setpriv cannot drop CAP_DAC_OVERRIDE here")
    return NODAC if os.geteuid() == 0 else []


@contextlib.contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``where`` (root only; skip otherwise)."""
    where.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _unprotect(root: Path) -> None:
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            with contextlib.suppress(OSError):
                os.chmod(os.path.join(dirpath, name), 0o755, follow_symlinks=False)


def check_cache(repo: Path) -> None:
    """Every object in the cache hashes to its name; no temp file is left behind."""
    cache = repo / ".dvc" / "cache"
    for path in cache.rglob("*"):
        if not path.is_file() or "runs" in path.parts:
            continue
        rel = path.relative_to(cache).parts
        assert rel[0] == "files" and rel[1] == "md5", f"stray file in the cache: {path}"
        name = rel[2] + rel[3]
        digest = hashlib.md5(path.read_bytes()).hexdigest()
        assert digest == name.removesuffix(".dir"), f"{path} does not hash to its name"


# -- the faults ----------------------------------------------------------------------------
def test_unreadable_files(template: Path, tmp_path: Path) -> None:
    prefix = _no_dac()
    repo = _copy(template, tmp_path / "t")
    for rel in ("in.txt", "data/a", "new.txt"):
        (repo / rel).chmod(0)
    try:
        outcomes = run_all(VERBS, repo, prefix)
    finally:
        _unprotect(repo)
    assert_clean(outcomes, must_fail=[("add", "new.txt"), ("add", "in.txt")])
    by = {o.argv: o for o in outcomes}
    assert by[("add", "new.txt")].err == (
        f"ERROR: cannot access '{repo}/new.txt': Permission denied; check its permissions "
        "(and those of its parent directories)\n")
    check_cache(repo)


def test_unreadable_directories(template: Path, tmp_path: Path) -> None:
    prefix = _no_dac()
    repo = _copy(template, tmp_path / "t")
    for rel in ("data", "sub"):
        (repo / rel).chmod(0)
    try:
        outcomes = run_all(VERBS, repo, prefix)
    finally:
        _unprotect(repo)
    assert_clean(outcomes, must_fail=[("add", "data")])
    check_cache(repo)


def test_read_only_directories(template: Path, tmp_path: Path) -> None:
    prefix = _no_dac()
    repo = _copy(template, tmp_path / "t")
    for dirpath, _dirs, _files in os.walk(repo):
        if ".git" not in Path(dirpath).parts:
            os.chmod(dirpath, 0o555)
    try:
        outcomes = run_all(VERBS, repo, prefix)
    finally:
        _unprotect(repo)
    assert_clean(outcomes, must_fail=[("add", "new.txt"), ("run", *VERBS[18][1:])])
    check_cache(repo)


def test_read_only_filesystem(template: Path, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", "64m") as mnt:
        repo = _copy(template, mnt / "t")
        proc = subprocess.run(["mount", "-o", "remount,ro", str(mnt)], capture_output=True,
                              text=True, check=False)
        if proc.returncode != 0:
            pytest.skip(f"cannot remount read-only: {proc.stderr.strip()}")
        outcomes = run_all(VERBS, repo)
        by = {o.argv: o for o in outcomes}
        assert_clean(outcomes, must_fail=[("add", "new.txt")])
        assert "Read-only file system; the filesystem is mounted read-only" in by[("add", "new.txt")].err
        check_cache(repo)


def _fill(mnt: Path) -> None:
    """Write a filler file until the filesystem refuses another byte."""
    with open(mnt / "filler", "wb", buffering=0) as f:
        for chunk in (b"\0" * 65536, b"\0"):
            with contextlib.suppress(OSError):
                while f.write(chunk):
                    pass


def test_full_disk(template: Path, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "full", "8m") as mnt:
        repo = _copy(template, mnt / "t")
        (repo / "new.txt").write_bytes(os.urandom(300_000))
        _fill(mnt)
        outcomes = run_all(VERBS, repo)
        assert_clean(outcomes, must_fail=[("add", "new.txt")])
        check_cache(repo)


def test_full_cache_disk_leaves_no_partial_object(template: Path, tmp_path: Path) -> None:
    """Issue 10 item 6: ``add`` with the cache on a full filesystem (large and small files)."""
    repo = _copy(template, tmp_path / "t")
    with tmpfs(tmp_path / "cache", "1m") as mnt:
        with open(repo / ".dvc" / "config", "a") as f:
            f.write(f"[cache]\n    dir = {mnt}/cache\n")
        (repo / "big.bin").write_bytes(os.urandom(3_000_000))
        write_tree(repo, {f"many/f{i:03}": os.urandom(8000) for i in range(200)})
        for target in ("big.bin", "many"):
            code, out, err = _dvcdoit(("add", target), repo)
            expected = (f"ERROR: cannot write to the cache '{mnt}/cache': No space left on "
                        "device; free some space on that filesystem and run the command again\n")
            assert (code, err) == (3, expected), out
        assert not (repo / "big.bin.dvc").exists() and not (repo / "many.dvc").exists()
        objects = [p for p in Path(mnt, "cache").rglob("*") if p.is_file()]
        assert objects  # some of the small files did fit
        for p in objects:
            rel = p.relative_to(mnt / "cache").parts
            assert rel[:2] == ("files", "md5"), f"temp file left: {p}"
            assert hashlib.md5(p.read_bytes()).hexdigest() == rel[2] + rel[3]


def test_names_too_long(template: Path, tmp_path: Path) -> None:
    repo = _copy(template, tmp_path / "t")
    outcomes = run_all(LONG_VERBS, repo)
    assert_clean(outcomes, must_fail=[("add", LONG), ("add", TOO_LONG)])
    by = {o.argv: o for o in outcomes}
    assert by[("add", LONG)].err == (
        f"ERROR: cannot access '{repo}/{LONG}.dvc': File name too long; use a shorter file name "
        "or a shallower directory\n")
    check_cache(repo)


def test_broken_pipe(template: Path, tmp_path: Path) -> None:
    """stdout a pipe nobody reads any more: quiet exit 141 (as git and DVC), else the usual code."""
    repo = _copy(template, tmp_path / "t")
    base = _copy(template, tmp_path / "b")
    for argv in VERBS:
        sub = "sub" if argv == ("init",) else ""
        expected, _, _ = _dvcdoit(argv, base / sub)
        r, w = os.pipe()
        os.close(r)
        try:
            code, _, err = _dvcdoit(argv, repo / sub, stdout=w)
        finally:
            os.close(w)
        assert "Traceback" not in err and "Exception ignored" not in err, (argv, err)
        assert code in (expected, 141), (argv, code, expected, err)
    code, _, err = _dvcdoit(("status",), repo, stdout=_closed_pipe())
    assert (code, err) == (141, "")


def _closed_pipe() -> int:
    r, w = os.pipe()
    os.close(r)
    return w


# -- S3 ----------------------------------------------------------------------------------
NO_AWS = {"AWS_ACCESS_KEY_ID": "<unset>", "AWS_SECRET_ACCESS_KEY": "<unset>",
          "AWS_SESSION_TOKEN": "<unset>", "AWS_PROFILE": "<unset>",
          "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_CONFIG_FILE": "/nonexistent",
          "AWS_EC2_METADATA_DISABLED": "true"}


def _s3_repo(template: Path, dest: Path, endpoint: str, bucket: str) -> Path:
    repo = _copy(template, dest)
    for argv in (("remote", "add", "-d", "s3r", f"s3://{bucket}/p"),
                 ("remote", "modify", "s3r", "endpointurl", endpoint)):
        code, out, err = _dvcdoit(argv, repo)
        assert code == 0, (out, err)
    shutil.rmtree(repo / ".dvc" / "cache" / "files")  # NOTE: so that a fetch has work to do
    return repo


def test_s3_without_credentials(template: Path, tmp_path: Path, moto_endpoint: str) -> None:
    repo = _s3_repo(template, tmp_path / "t", moto_endpoint, "nobucket")
    outcomes = run_all(CLOUD_VERBS, repo, env=NO_AWS)
    assert_clean(outcomes, must_fail=CLOUD_VERBS)
    msg = ("ERROR: remote 's3r' (s3://nobucket/p): no AWS credentials found; set them with "
           "'dvcdoit remote modify --local s3r access_key_id ID' and '... secret_access_key KEY',"
           " or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or an AWS profile ('dvcdoit remote "
           "modify s3r profile PROFILE')\n")
    assert [o.err for o in outcomes] == [msg] * len(CLOUD_VERBS)


def test_s3_endpoint_down(template: Path, tmp_path: Path) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    repo = _s3_repo(template, tmp_path / "t", endpoint, "b")
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_MAX_ATTEMPTS": "2"}
    outcomes = run_all(CLOUD_VERBS, repo, env=env)
    assert_clean(outcomes, must_fail=CLOUD_VERBS)
    for o in outcomes:
        assert f"cannot connect to {endpoint}" in o.err, o.err
        assert "check the remote's endpointurl and that the server is up" in o.err


