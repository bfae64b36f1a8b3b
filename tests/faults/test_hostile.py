"""Hostile and malformed repo inputs, one row each, driven through the CLI as a subprocess.

Every row copies one shared template repo (built once), damages it, runs one verb that reads
the damage, and pins: the exit code, the exact one-line ``ERROR:`` message (no traceback),
that nothing outside the repo changed (the parent tree: names, sizes, mtimes, modes), and
that every workspace file that existed keeps its bytes. The template is ``case/repo`` with a
local remote ``case/remote`` (everything pushed) and ``case/outside/{secret,ro}.txt``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import DVC_ENV

TRAV = "../../../../../outside/secret.txt"
"""From ``repo/.dvc/cache/files/md5/<2>/``, five ``..`` reach ``case/outside``."""
RO_TRAV = "../../../../../outside/ro.txt"
HEX_RULE = "32 hex digits, optionally followed by '.dir'"
PRIVATE = "outputs must lie outside .dvc/ and .git/"
DATA_MD5 = hashlib.md5(b"data\n").hexdigest()

Mutate = Callable[[Path], None]


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **DVC_ENV}
    return subprocess.run([sys.executable, "-m", "dvcdoit", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False)


def _ok(cwd: Path, *args: str) -> None:
    proc = _run(cwd, *args)
    assert proc.returncode == 0, proc.stderr


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``case/`` with a repo holding a file, a dir, a stage with params, all pushed."""
    case = tmp_path_factory.mktemp("hostile") / "case"
    repo = case / "repo"
    (case / "outside").mkdir(parents=True)
    (case / "outside" / "secret.txt").write_text("secret\n")
    (case / "outside" / "ro.txt").write_text("read-only\n")
    (case / "outside" / "ro.txt").chmod(0o444)
    (case / "remote").mkdir()
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    _ok(repo, "init")
    (repo / "data.txt").write_text("data\n")
    (repo / "d" / "b").mkdir(parents=True)
    (repo / "d" / "a").write_text("a\n")
    (repo / "d" / "b" / "c").write_text("c\n")
    (repo / "params.yaml").write_text("lr: 1\n")
    (repo / "new.txt").write_text("new\n")  # NOTE: untracked, for the add rows
    (repo / "dvc.yaml").write_text(
        "stages:\n  s:\n    cmd: cp data.txt out.txt\n    deps:\n    - data.txt\n"
        "    params:\n    - lr\n    outs:\n    - out.txt\n")
    _ok(repo, "add", "data.txt")
    _ok(repo, "add", "d")
    _ok(repo, "repro")
    _ok(repo, "remote", "add", "-d", "r", "../remote")
    _ok(repo, "push", "--run-cache")
    return case


# ------------------------------------------------------------------ snapshots


def _tree(top: Path, skip: Path | None = None) -> dict[str, tuple[int, int, int, int]]:
    """relpath → (mode, size, mtime_ns, is-link) of everything below ``top`` but ``skip``."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(top):
        if skip is not None and Path(dirpath) == skip.parent:
            dirnames[:] = [d for d in dirnames if Path(dirpath, d) != skip]
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            st = p.lstat()
            out[str(p.relative_to(top))] = (st.st_mode, st.st_size, st.st_mtime_ns,
                                            int(stat.S_ISLNK(st.st_mode)))
    return out


def _workspace(repo: Path) -> dict[str, bytes]:
    """Bytes of every regular workspace file (``.git/`` and ``.dvc/`` left out, but its config)."""
    out = {".dvc/config": (repo / ".dvc" / "config").read_bytes()}
    for dirpath, dirnames, filenames in os.walk(repo):
        dirnames[:] = [d for d in dirnames if d not in (".git", ".dvc")]
        for name in filenames:
            p = Path(dirpath, name)
            if p.is_file() and not p.is_symlink():
                out[p.relative_to(repo).as_posix()] = p.read_bytes()
    return out


# ------------------------------------------------------------------ mutations


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def _dump(path: Path, data: Any) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def write(rel: str, text: str | bytes) -> Mutate:
    """Write ``text`` to ``repo/rel`` (parents made)."""
    def run(case: Path) -> None:
        p = case / "repo" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(text)
    return run


def edit(rel: str, fn: Callable[[Any], None]) -> Mutate:
    """Load ``repo/rel`` as YAML, let ``fn`` change it in place, dump it back."""
    def run(case: Path) -> None:
        data = _load(case / "repo" / rel)
        fn(data)
        _dump(case / "repo" / rel, data)
    return run


def lock_out(key: str, value: Any) -> Mutate:
    """Set ``stages.s.outs[0][key]`` in dvc.lock."""
    return edit("dvc.lock", lambda d: d["stages"]["s"]["outs"][0].__setitem__(key, value))


def lock_dep(key: str, value: Any) -> Mutate:
    """Set ``stages.s.deps[0][key]`` in dvc.lock."""
    return edit("dvc.lock", lambda d: d["stages"]["s"]["deps"][0].__setitem__(key, value))


def lock_stage(key: str, value: Any) -> Mutate:
    """Set ``stages.s[key]`` in dvc.lock."""
    return edit("dvc.lock", lambda d: d["stages"]["s"].__setitem__(key, value))


def dvc_out(key: str, value: Any, rel: str = "data.txt.dvc") -> Mutate:
    """Set ``outs[0][key]`` in a .dvc file."""
    return edit(rel, lambda d: d["outs"][0].__setitem__(key, value))


def dvc_top(key: str, value: Any, rel: str = "data.txt.dvc") -> Mutate:
    """Set a top-level key of a .dvc file."""
    return edit(rel, lambda d: d.__setitem__(key, value))


def stage(key: str, value: Any) -> Mutate:
    """Set ``stages.s[key]`` in dvc.yaml."""
    return edit("dvc.yaml", lambda d: d["stages"]["s"].__setitem__(key, value))


def both(*fns: Mutate) -> Mutate:
    """Apply several mutations in order."""
    def run(case: Path) -> None:
        for fn in fns:
            fn(case)
    return run


def remove(rel: str) -> Mutate:
    """Delete ``repo/rel`` (a file or a tree)."""
    def run(case: Path) -> None:
        p = case / "repo" / rel
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink()
    return run


def symlink(rel: str, target: str) -> Mutate:
    """Make ``repo/rel`` a symlink to ``target``."""
    def run(case: Path) -> None:
        (case / "repo" / rel).symlink_to(target)
    return run


def _object_rel(oid: str) -> str:
    return f"files/md5/{oid[:2]}/{oid[2:]}"


def manifest(rows: Any, where: str = "cache", raw: bytes | None = None) -> Mutate:
    """Store ``rows`` as a ``.dir`` manifest (named by its md5) and point ``d.dvc`` at it.

    ``where`` is ``cache`` (stored 0o444, so trusted without re-hashing) or ``remote`` (then
    the directory's objects are removed from the cache, so that ``pull`` fetches it).
    """
    def run(case: Path) -> None:
        data = raw if raw is not None else json.dumps(rows).encode()
        oid = hashlib.md5(data).hexdigest() + ".dir"
        root = case / "repo" / ".dvc" / "cache" if where == "cache" else case / "remote"
        dest = root / _object_rel(oid)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
        dest.chmod(0o444)
        dvc_out("md5", oid, "d.dvc")(case)
        shutil.rmtree(case / "repo" / "d")
    return run


def remote_object(rel: str, data: bytes) -> Mutate:
    """Replace the object of ``repo/rel`` on the remote with ``data``; drop it from the cache."""
    def run(case: Path) -> None:
        md5 = hashlib.md5((case / "repo" / rel).read_bytes()).hexdigest()
        for root in (case / "remote", case / "repo" / ".dvc" / "cache"):
            p = root / _object_rel(md5)
            p.chmod(0o644)
            p.unlink()
        (case / "remote" / _object_rel(md5)).write_bytes(data)
        (case / "repo" / rel).unlink()
    return run


def run_cache(fn: Callable[[Any], None], where: str = "cache") -> Mutate:
    """Change the stage's run-cache entry (in the cache or on the remote) with ``fn``; then
    remove dvc.lock and out.txt so that repro (or pull --run-cache) looks it up."""
    def run(case: Path) -> None:
        root = case / "repo" / ".dvc" / "cache" if where == "cache" else case / "remote"
        (entry,) = (root / "runs").glob("*/*/*")
        data = _load(entry)
        fn(data)
        entry.chmod(0o644)
        _dump(entry, data)
        if where == "remote":
            shutil.rmtree(case / "repo" / ".dvc" / "cache" / "runs")
        (case / "repo" / "dvc.lock").unlink()
        (case / "repo" / "out.txt").unlink()
    return run


def config(text: str) -> Mutate:
    """Replace ``.dvc/config``."""
    return write(".dvc/config", text)


# ------------------------------------------------------------------ the table


@dataclass(frozen=True)
class Case:
    """One hostile input: what to damage, which verb reads it, what the user must see."""

    id: str
    mutate: Mutate
    verb: str
    message: str | tuple[str, ...] | None
    """The exact stderr line after ``ERROR: `` (``{repo}``/``{case}`` stand for the paths);
    a tuple for the several lines of a failed transfer (exit 1); None: stderr is empty."""
    rc: int = 3
    stdout: str | None = None
    """The exact stdout, when it says what happened (exit 0 and 1 rows)."""
    changes: tuple[str, ...] = ()
    """Workspace files the verb may legitimately rewrite (e.g. out.txt on a rerun)."""

    def stderr(self, root: Path) -> str:
        """The stderr expected when the case is at ``root`` (``case/``)."""
        if self.message is None:
            return ""
        lines = (self.message,) if isinstance(self.message, str) else self.message
        text = "".join(f"ERROR: {line}\n" for line in lines)
        return text.replace("{repo}", str(root / "repo")).replace("{case}", str(root))


def _md5_msg(where: str, value: str, file: str = "dvc.lock") -> str:
    return f"{file}:{where}: {value!r} is not an md5 hash ({HEX_RULE})"


def _dvc_md5_msg(value: str, file: str = "data.txt.dvc") -> str:
    return f"{file}: outs[0].md5: {value!r} is not an md5 hash ({HEX_RULE})"


CASES: list[Case] = []

_L = "stages.s.outs[0].md5"
CASES += [  # dvc.lock: hashes that would become paths
    Case("lock-out-md5-traversal-status", lock_out("md5", TRAV), "status", _md5_msg(_L, TRAV)),
    Case("lock-out-md5-traversal-checkout", lock_out("md5", TRAV), "checkout -f",
         _md5_msg(_L, TRAV)),
    Case("lock-out-md5-ro-traversal-checkout", both(lock_out("md5", RO_TRAV), remove("out.txt")),
         "checkout -f", _md5_msg(_L, RO_TRAV)),
    Case("lock-out-md5-traversal-push", lock_out("md5", TRAV), "push", _md5_msg(_L, TRAV)),
    Case("lock-out-md5-traversal-pull", lock_out("md5", TRAV), "pull", _md5_msg(_L, TRAV)),
    Case("lock-out-md5-traversal-repro", lock_out("md5", TRAV), "repro", _md5_msg(_L, TRAV)),
    Case("lock-out-md5-traversal-commit", lock_out("md5", TRAV), "commit -f", _md5_msg(_L, TRAV)),
    Case("lock-out-md5-traversal-add", lock_out("md5", TRAV), "add new.txt", _md5_msg(_L, TRAV)),
    Case("lock-out-md5-dir-traversal", lock_out("md5", "../../../../../outside.dir"),
         "checkout -f", _md5_msg(_L, "../../../../../outside.dir")),
    Case("lock-out-md5-absolute", lock_out("md5", "/etc/passwd"), "status",
         _md5_msg(_L, "/etc/passwd")),
    Case("lock-out-md5-31-hex", lock_out("md5", "a" * 31), "status", _md5_msg(_L, "a" * 31)),
    Case("lock-out-md5-newline", lock_out("md5", "a" * 32 + "\n"), "status",
         _md5_msg(_L, "a" * 32 + "\n")),
    Case("lock-out-md5-nul", lock_out("md5", "a" * 31 + "\x00"), "status",
         _md5_msg(_L, "a" * 31 + "\x00")),
    Case("lock-out-md5-int", lock_out("md5", 12345), "status",
         "dvc.lock:stages.s.outs[0].md5: expected a string"),
    Case("lock-out-md5-list", lock_out("md5", ["a"]), "checkout -f",
         "dvc.lock:stages.s.outs[0].md5: expected a string"),
    Case("lock-dep-md5-traversal", lock_dep("md5", TRAV), "status",
         _md5_msg("stages.s.deps[0].md5", TRAV)),
    Case("lock-dep-md5-traversal-repro", lock_dep("md5", TRAV), "repro",
         _md5_msg("stages.s.deps[0].md5", TRAV)),
]
CASES += [  # dvc.lock: paths and shapes
    Case("lock-out-path-in-dvc-dir", lock_out("path", ".dvc/config"), "checkout -f",
         f"dvc.lock:stages.s.outs[0].path: output '.dvc/config' is inside .dvc/; {PRIVATE}"),
    Case("lock-out-path-dotdot-git", lock_out("path", "sub/../.git/config"), "status",
         f"dvc.lock:stages.s.outs[0].path: output 'sub/../.git/config' is inside .git/; "
         f"{PRIVATE}"),
    Case("lock-no-schema", write("dvc.lock", "stages: {}\n"), "status",
         "dvc.lock: not a schema '2.0' lock file (DVC 1.x lock files are not supported); "
         "delete it"),
    Case("lock-stages-list", write("dvc.lock", "schema: '2.0'\nstages: [a]\n"), "status",
         "dvc.lock:stages: expected a mapping"),
    Case("lock-entry-scalar", write("dvc.lock", "schema: '2.0'\nstages:\n  s: 1\n"), "status",
         "dvc.lock:stages.s: expected a mapping"),
    Case("lock-cmd-int", lock_stage("cmd", 1), "status",
         "dvc.lock:stages.s.cmd: required: a string or list of strings"),
    Case("lock-outs-int", lock_stage("outs", 5), "status", "dvc.lock:stages.s.outs: expected a list"),
    Case("lock-outs-string", lock_stage("outs", "out.txt"), "checkout -f",
         "dvc.lock:stages.s.outs: expected a list"),
    Case("lock-params-list", lock_stage("params", [1]), "status",
         "dvc.lock:stages.s.params: expected {file: {key: value}}"),
    Case("lock-size-string", lock_out("size", "big"), "status",
         "dvc.lock:stages.s.outs[0].size: expected an integer"),
    Case("lock-hash-sha256", lock_out("hash", "sha256"), "status",
         "dvc.lock:stages.s.outs[0].hash: unsupported hash 'sha256'; expected 'md5'"),
    Case("lock-extra-key", lock_out("evil", 1), "status",
         "dvc.lock:stages.s.outs[0].evil: extra keys not allowed"),
    Case("lock-invalid-yaml", write("dvc.lock", "schema: '2.0'\nstages: {s: [\n"), "status",
         'dvc.lock:3: invalid YAML: did not find expected node content'),
    Case("lock-duplicate-key", write("dvc.lock", "schema: '2.0'\nstages:\n  s:\n    cmd: a\n"
                                     "    cmd: b\n"), "status",
         "dvc.lock:5: invalid YAML: found duplicate key 'cmd'"),
    Case("lock-recursive-alias", write("dvc.lock", "schema: '2.0'\nstages:\n  s: &a\n"
                                       "    cmd: x\n    params: {p: *a}\n"), "status",
         "dvc.lock:3: invalid YAML: found a recursive alias"),
    Case("lock-binary", write("dvc.lock", b"\xff\xfe\x00garbage"), "status", "dvc.lock: not a schema '2.0' lock file (DVC 1.x lock files are not supported); delete it"),
]
CASES += [  # .dvc data-source files
    Case("dvc-md5-traversal-checkout", both(dvc_out("md5", TRAV), remove("data.txt")),
         "checkout -f", _dvc_md5_msg(TRAV)),
    Case("dvc-md5-traversal-status", dvc_out("md5", TRAV), "status", _dvc_md5_msg(TRAV)),
    Case("dvc-md5-traversal-push", dvc_out("md5", TRAV), "push", _dvc_md5_msg(TRAV)),
    Case("dvc-md5-traversal-pull", dvc_out("md5", TRAV), "pull", _dvc_md5_msg(TRAV)),
    Case("dvc-md5-traversal-commit", dvc_out("md5", TRAV), "commit -f", _dvc_md5_msg(TRAV)),
    Case("dvc-md5-traversal-add", dvc_out("md5", TRAV), "add data.txt", _dvc_md5_msg(TRAV)),
    Case("dvc-md5-traversal-repro", dvc_out("md5", TRAV), "repro", _dvc_md5_msg(TRAV)),
    Case("dvc-md5-mapping", dvc_out("md5", {"a": 1}), "status",
         "data.txt.dvc: outs[0].md5: expected an md5 hash string, got a mapping"),
    Case("dvc-path-dvc-config", dvc_out("path", ".dvc/config"), "checkout -f",
         f"data.txt.dvc: outs[0].path: output '.dvc/config' is inside .dvc/; {PRIVATE}"),
    Case("dvc-path-dotdot-dvc-config", dvc_out("path", "sub/../.dvc/config"), "checkout -f",
         f"data.txt.dvc: outs[0].path: output 'sub/../.dvc/config' is inside .dvc/; {PRIVATE}"),
    Case("dvc-path-git-config", dvc_out("path", ".git/config"), "checkout -f",
         f"data.txt.dvc: outs[0].path: output '.git/config' is inside .git/; {PRIVATE}"),
    Case("dvc-path-git-dir", dvc_out("path", ".git"), "commit -f",
         f"data.txt.dvc: outs[0].path: output '.git' is inside .git/; {PRIVATE}"),
    Case("dvc-path-nested-git", dvc_out("path", "x/.git/hooks/pre-commit"), "checkout -f",
         f"data.txt.dvc: outs[0].path: output 'x/.git/hooks/pre-commit' is inside .git/; "
         f"{PRIVATE}"),
    Case("dvc-wdir-dvc-dir", both(dvc_top("wdir", ".dvc"), dvc_out("path", "config")),
         "checkout -f", f"data.txt.dvc: outs[0].path: output 'config' is inside .dvc/; {PRIVATE}"),
    Case("dvc-sub-dotdot-git", write("sub/x.dvc", f"outs:\n- md5: {DATA_MD5}\n  hash: md5\n"
                                     "  path: ../.git/config\n"), "checkout -f",
         f"sub/x.dvc: outs[0].path: output '../.git/config' is inside .git/; {PRIVATE}"),
    Case("dvc-path-absolute", dvc_out("path", "/tmp/evil"), "checkout -f",
         "data.txt.dvc: output '/tmp/evil' is outside the repository"),
    Case("dvc-path-outside", dvc_out("path", "../outside/secret.txt"), "checkout -f",
         "data.txt.dvc: output '../outside/secret.txt' is outside the repository"),
    Case("dvc-wdir-outside", dvc_top("wdir", ".."), "status",
         "data.txt.dvc: output 'data.txt' is outside the repository"),
    Case("dvc-path-nul", dvc_out("path", "data\x00.txt"), "status",
         "data.txt.dvc: outs[0].path: output 'data\\x00.txt' contains a NUL character; "
         "remove it from the path"),
    Case("dvc-path-empty", dvc_out("path", ""), "status", "data.txt.dvc: outs[0].path: empty"),
    Case("dvc-path-int", dvc_out("path", 7), "status",
         "data.txt.dvc: outs[0].path: expected a path string, got number 7"),
    Case("dvc-path-too-long", both(dvc_out("path", "x" * 300), remove("data.txt")),
         "checkout -f", 'data.txt.dvc: outs[0].path: output path has a name of 300 bytes, longer than 255; shorten it'),
    Case("dvc-outs-string", dvc_top("outs", "data.txt"), "status",
         "data.txt.dvc: outs: expected a list, got 'data.txt'"),
    Case("dvc-outs-empty", dvc_top("outs", []), "status",
         "data.txt.dvc: outs: missing; a .dvc file must list at least one output"),
    Case("dvc-size-negative", dvc_out("size", -1), "status",
         "data.txt.dvc: outs[0].size: must not be negative"),
    Case("dvc-isexec-string", dvc_out("isexec", "yes"), "checkout -f",
         "data.txt.dvc: outs[0].isexec: expected true or false, got 'yes'"),
    Case("dvc-unknown-key", dvc_top("evil", 1), "status",
         "data.txt.dvc: evil: unknown key (DVC 3 refuses it)"),
    Case("dvc-hash-sha256", dvc_out("hash", "sha256"), "status",
         "data.txt.dvc: outs[0].hash: unsupported hash 'sha256'; only 'md5' exists"),
    Case("dvc-is-a-list", write("data.txt.dvc", "- a\n"), "status",
         "data.txt.dvc: expected a mapping with 'outs', got a list"),
    Case("dvc-empty-file", write("data.txt.dvc", ""), "checkout -f",
         "data.txt.dvc: expected a mapping with 'outs', got nothing (null)"),
    Case("dvc-duplicate-key", write("data.txt.dvc", "outs:\n- path: data.txt\n  path: d\n"),
         "status", "data.txt.dvc:3: invalid YAML: found duplicate key 'path'"),
    Case("dvc-tab-yaml", write("data.txt.dvc", "outs:\n\t- path: x\n"), "status", 'data.txt.dvc:2: invalid YAML: found character that cannot start any token'),
    Case("dvc-alias-bomb", write("data.txt.dvc", "\n".join(
        ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
        + ["outs:", "- path: data.txt"]) + "\n"), "status",
         "data.txt.dvc:6: invalid YAML: the document expands to more than 1000000 values "
         "(aliases?)"),
    Case("dvc-deep-nesting", write("data.txt.dvc", "outs: " + "[" * 5000 + "]" * 5000 + "\n"),
         "status", 'data.txt.dvc:1: invalid YAML: exceeded maximum nesting depth'),
]
CASES += [  # classic single-stage .dvc files (cmd:)
    Case("stagefile-md5-traversal", write("old.dvc", f"cmd: cp data.txt o.txt\ndeps:\n"
                                          f"- path: data.txt\nouts:\n- md5: {TRAV}\n"
                                          "  path: o.txt\n"), "checkout -f",
         f"old.dvc:outs[0].md5: {TRAV!r} is not an md5 hash ({HEX_RULE})"),
    Case("stagefile-out-dvc-config", write("old.dvc", "cmd: x\nouts:\n- path: .dvc/config\n"),
         "checkout -f", f"old.dvc:outs[0]: output '.dvc/config' is inside .dvc/; {PRIVATE}"),
    Case("stagefile-out-outside", write("old.dvc", "cmd: x\nouts:\n- path: ../outside/x\n"),
         "repro", "old.dvc:outs[0]: output '../outside/x' is outside the repo"),
    Case("stagefile-wdir-outside", write("old.dvc", "cmd: x\nwdir: ../..\n"), "status",
         "old.dvc:wdir: '../..' is outside the repo"),
    Case("stagefile-outs-int", write("old.dvc", "cmd: x\nouts: 3\n"), "status",
         "old.dvc:outs: expected a list"),
    Case("stagefile-cmd-empty", write("old.dvc", "cmd: ''\nouts:\n- path: o\n"), "repro",
         "old.dvc:cmd: required: a non-empty string"),
]
_RUN = ("runs/4b/4bd0c7ce6a1a49c0ee485ea2e2ea5aeebbfb68cde0c8b02427bb490c76ee9d1d/"
        "4b094302bf880edc9caa75ac91b03a897043d8acbbbd0e0abff064186764d278")
CASES += [  # .dir manifests, in the cache (0o444: trusted) and on the remote (pull)
    Case("manifest-md5-traversal-checkout", manifest([{"md5": TRAV, "relpath": "a"}]),
         "checkout -f", "checkout failed for: {repo}/.dvc/cache/files/md5/d4/09b3617ea92b38c3402b6e282a7390.dir: [0]: md5 '../../../../../outside/secret.txt' of 'a' is not an md5 hash (32 hex digits)"),
    Case("manifest-md5-ro-traversal-checkout", manifest([{"md5": RO_TRAV, "relpath": "a"}]),
         "checkout -f", "checkout failed for: {repo}/.dvc/cache/files/md5/de/4c2997258589f8ebaa5c424f85931c.dir: [0]: md5 '../../../../../outside/ro.txt' of 'a' is not an md5 hash (32 hex digits)"),
    Case("manifest-md5-traversal-status", manifest([{"md5": TRAV, "relpath": "a"}]), "status",
         None, rc=0,
         stdout="d.dvc:\n\tchanged outs:\n\t\tnot in cache:       d\n"),
    Case("manifest-md5-traversal-push", manifest([{"md5": TRAV, "relpath": "a"}]), "push", (
        ("failed to transfer 'd' (d409b3617ea92b38c3402b6e282a7390.dir) - {repo}/.dvc/cache/"
        f"files/md5/d4/09b3617ea92b38c3402b6e282a7390.dir: [0]: md5 {TRAV!r} of 'a' is not "
        "an md5 hash (32 hex digits)"),
        "failed to push data to the cloud - 1 files failed to upload"), rc=1, stdout=""),
    Case("manifest-md5-dir-member", manifest([{"md5": "a" * 32 + ".dir", "relpath": "a"}]),
         "checkout -f", "checkout failed for: {repo}/.dvc/cache/files/md5/8d/faef4f28fab83446ec69ef8fc7ac77.dir: [0]: md5 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.dir' of 'a' is not an md5 hash (32 hex digits)"),
    Case("manifest-relpath-dotdot", manifest([{"md5": DATA_MD5, "relpath": "../../outside/x"}]),
         "checkout -f", "checkout failed for: {repo}/.dvc/cache/files/md5/d7/b10cab13c355b9b1a4d7830142e80b.dir: [0]: relpath '../../outside/x' contains '..', '.' or an empty component"),
    Case("manifest-relpath-absolute", manifest([{"md5": DATA_MD5, "relpath": "/tmp/evil"}]),
         "checkout -f", "checkout failed for: {repo}/.dvc/cache/files/md5/44/991a21b8a912f12349024f6c5f3fae.dir: [0]: relpath '/tmp/evil' is absolute"),
    Case("manifest-relpath-backslash", manifest([{"md5": DATA_MD5, "relpath": "..\\\\x"}]),
         "checkout -f", "checkout failed for: {repo}/.dvc/cache/files/md5/3b/99415f6eec077e1f36292c278075fe.dir: [0]: relpath '..\\\\\\\\x' contains a backslash or NUL"),
    Case("manifest-relpath-nul", manifest([{"md5": DATA_MD5, "relpath": "a\x00b"}]),
         "checkout -f", "checkout failed for: {repo}/.dvc/cache/files/md5/e3/e60493877150260d11330020820188.dir: [0]: relpath 'a\\x00b' contains a backslash or NUL"),
    Case("manifest-duplicate-relpath", manifest([{"md5": DATA_MD5, "relpath": "a"},
                                                 {"md5": DATA_MD5, "relpath": "a"}]),
         "checkout -f", "checkout failed for: {repo}/.dvc/cache/files/md5/4b/26c746f387a63002ded931a27fc018.dir: [1]: duplicate relpath 'a'"),
    Case("manifest-not-json", manifest(None, raw=b"[{not json"), "checkout -f", 'checkout failed for: {repo}/.dvc/cache/files/md5/b1/99c7ffa7865d81731465ffb0c7ac7c.dir: not a valid .dir manifest (Expecting property name enclosed in double quotes: line 1 column 3 (char 2))'),
    Case("manifest-object", manifest({"md5": DATA_MD5, "relpath": "a"}), "checkout -f", 'checkout failed for: {repo}/.dvc/cache/files/md5/fb/b9980270da276a614345fbc0cddd60.dir: a .dir manifest must be a JSON list'),
    Case("manifest-row-types", manifest([{"md5": 1, "relpath": ["a"]}]), "checkout -f", "checkout failed for: {repo}/.dvc/cache/files/md5/2a/ac179057ae8aa72f5d4ff9292dcf40.dir: [0]: needs string 'relpath' and 'md5'"),
    Case("manifest-remote-md5-traversal", manifest([{"md5": TRAV, "relpath": "a"}], "remote"),
         "pull", (
        ("failed to transfer 'd' (d409b3617ea92b38c3402b6e282a7390.dir) - corrupt on remote {case}/remote: "
        "content does not match d409b3617ea92b38c3402b6e282a7390.dir"),
        "failed to pull data from the cloud - 1 files failed to download",
        "checkout failed for: directory manifest d409b3617ea92b38c3402b6e282a7390.dir is not in the cache"),
         rc=1, stdout=""),
    Case("manifest-remote-relpath-dotdot",
         manifest([{"md5": DATA_MD5, "relpath": "../../../outside/x"}], "remote"), "pull", (
        ("failed to transfer 'd' (a87fa403c2be817436b8559c872f1ee3.dir) - corrupt on remote {case}/remote: "
        "content does not match a87fa403c2be817436b8559c872f1ee3.dir"),
        "failed to pull data from the cloud - 1 files failed to download",
        "checkout failed for: directory manifest a87fa403c2be817436b8559c872f1ee3.dir is not in the cache"),
         rc=1, stdout=""),
    Case("remote-object-corrupt", remote_object("data.txt", b"evil\n"), "pull", (
        (f"failed to transfer 'data.txt' ({DATA_MD5}) - corrupt on remote {{case}}/remote: "
        f"content does not match {DATA_MD5}"),
        "failed to pull data from the cloud - 1 files failed to download",
        (f"checkout failed for: 'data.txt': object {DATA_MD5} is missing from the cache; "
        "run pull")), rc=1, stdout=""),
]
CASES += [  # run-cache entries (a damaged one is "not restorable": the stage runs instead)
    Case("runcache-md5-traversal-repro",
         run_cache(lambda d: d["outs"][0].__setitem__("md5", TRAV)), "repro", None, rc=0,
         changes=("out.txt", "dvc.lock")),
    Case("runcache-out-dvc-config-repro",
         run_cache(lambda d: d["outs"][0].__setitem__("path", ".dvc/config")), "repro", None,
         rc=0, changes=("out.txt", "dvc.lock")),
    Case("runcache-remote-md5-traversal-pull",
         run_cache(lambda d: d["outs"][0].__setitem__("md5", TRAV), "remote"), "pull --run-cache",
         (
        (f"failed to transfer '{_RUN}' ({_RUN}) - corrupt run-cache entry on remote "
        "{case}/remote"),
        "failed to pull data from the cloud - 1 files failed to download"), rc=1, stdout=""),
]
_S = "dvc.yaml:stages.s"
CASES += [  # dvc.yaml
    Case("yaml-out-dvc-config", stage("outs", [".dvc/config"]), "repro",
         f"{_S}.outs[0]: output '.dvc/config' is inside .dvc/; {PRIVATE}"),
    Case("yaml-out-git-head", stage("outs", [".git/HEAD"]), "checkout -f",
         f"{_S}.outs[0]: output '.git/HEAD' is inside .git/; {PRIVATE}"),
    Case("yaml-out-dotdot-git", stage("outs", ["x/../.git/config"]), "status",
         f"{_S}.outs[0]: output 'x/../.git/config' is inside .git/; {PRIVATE}"),
    Case("yaml-wdir-dvc-dir", both(stage("wdir", ".dvc"), stage("outs", ["config"])), "repro",
         f"{_S}.outs[0]: output 'config' is inside .dvc/; {PRIVATE}"),
    Case("yaml-sub-wdir-git", write("sub/dvc.yaml", "stages:\n  t:\n    cmd: echo x\n"
                                    "    wdir: ../.git\n    outs:\n    - x\n"), "status",
         f"sub/dvc.yaml:stages.t.outs[0]: output 'x' is inside .git/; {PRIVATE}"),
    Case("yaml-sub-out-dotdot-git", write("sub/dvc.yaml", "stages:\n  t:\n    cmd: echo x\n"
                                          "    outs:\n    - ../.git/x\n"), "repro",
         f"sub/dvc.yaml:stages.t.outs[0]: output '../.git/x' is inside .git/; {PRIVATE}"),
    Case("yaml-wdir-outside", stage("wdir", "../.."), "status",
         f"{_S}.wdir: '../..' is outside the repo; {_S}.outs[0]: output 'out.txt' is outside "
         "the repo"),
    Case("yaml-out-absolute", stage("outs", ["/tmp/evil"]), "repro",
         f"{_S}.outs[0]: output '/tmp/evil' is outside the repo"),
    Case("yaml-out-outside", stage("outs", ["../outside/secret.txt"]), "repro",
         f"{_S}.outs[0]: output '../outside/secret.txt' is outside the repo"),
    Case("yaml-out-nul", stage("outs", ["o\x00.txt"]), "status",
         f"{_S}.outs[0]: output 'o\\x00.txt' contains a NUL character; remove it from the path"),
    Case("yaml-out-is-dvc-file", stage("outs", ["data.txt.dvc"]), "status",
         f"{_S}.outs[0]: 'data.txt.dvc' is a DVC file; it cannot be an output"),
    Case("yaml-out-overlaps-source", stage("outs", ["data.txt"]), "status", "output 'data.txt' is specified in both 'data.txt.dvc' and 's'; an output can belong to one stage only"),
    Case("yaml-overlapping-outs", edit("dvc.yaml", lambda d: d["stages"].__setitem__(
        "t", {"cmd": "echo", "outs": ["out.txt"]})), "status", "output 'out.txt' is specified in both 's' and 't'; an output can belong to one stage only"),
    Case("yaml-out-inside-out", edit("dvc.yaml", lambda d: d["stages"].__setitem__(
        "t", {"cmd": "echo", "outs": ["d/a"]})), "repro", "outputs 'd' (stage 'd.dvc') and 'd/a' (stage 't') overlap; one output cannot be inside another"),
    Case("yaml-cycle", write("dvc.yaml", "stages:\n  a:\n    cmd: cp b a\n    deps: [b]\n"
                             "    outs: [a]\n  b:\n    cmd: cp a b\n    deps: [a]\n"
                             "    outs: [b]\n"), "repro", 'pipeline has a cycle involving: a, b'),
    Case("yaml-stages-list", write("dvc.yaml", "stages: [a]\n"), "status",
         "dvc.yaml:stages: expected a mapping of stage names to definitions"),
    Case("yaml-cmd-missing", stage("cmd", None), "repro",
         f"{_S}.cmd: required: a non-empty string or list of strings"),
    Case("yaml-cmd-mapping", stage("cmd", {"a": 1}), "status",
         f"{_S}.cmd: required: a non-empty string or list of strings"),
    Case("yaml-deps-string", stage("deps", "data.txt"), "status", f"{_S}.deps: expected a list"),
    Case("yaml-outs-mapping", stage("outs", {"a": 1}), "status", f"{_S}.outs: expected a list"),
    Case("yaml-frozen-string", stage("frozen", "yes"), "status",
         f"{_S}.frozen: expected true or false, got 'yes'"),
    Case("yaml-bad-stage-name", write("dvc.yaml", "stages:\n  a/b:\n    cmd: x\n"), "status",
         "dvc.yaml:stages.a/b: invalid stage name 'a/b': use letters, digits, '_' and '-' only"),
    Case("yaml-duplicate-stage", write("dvc.yaml", "stages:\n  s:\n    cmd: a\n  s:\n"
                                       "    cmd: b\n"), "status",
         "dvc.yaml:4: invalid YAML: found duplicate key 's'"),
    Case("yaml-template-missing-key", stage("cmd", "echo ${nope}"), "status",
         f"{_S}.cmd: Could not find 'nope'"),
    Case("yaml-template-empty", stage("cmd", "echo ${}"), "status", "dvc.yaml:stages.s.cmd: invalid expression '${}'"),
    Case("yaml-template-vars-missing-file", edit("dvc.yaml", lambda d: d.__setitem__(
        "vars", ["nope.yaml"])), "status", "dvc.yaml:vars: 'nope.yaml' does not exist"),
    Case("yaml-template-vars-outside", edit("dvc.yaml", lambda d: d.__setitem__(
        "vars", ["../outside/secret.txt"])), "status", "dvc.yaml:vars: expected a dictionary, got 'str' in file '../outside/secret.txt'"),
    Case("yaml-foreach-string", write("dvc.yaml", "stages:\n  f:\n    foreach: abc\n"
                                      "    do:\n      cmd: echo ${item}\n"), "status", 'dvc.yaml:stages.f.foreach: expected list/dictionary, got str'),
    Case("yaml-alias-bomb-vars", write("dvc.yaml", "\n".join(
        ["vars:", "- a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        + [f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
        + ["stages:", "  s:", "    cmd: echo ${a8}"]) + "\n"), "status", 'dvc.yaml:7: invalid YAML: the document expands to more than 1000000 values (aliases?)'),
    Case("yaml-recursive-alias", write("dvc.yaml", "stages:\n  s: &s\n    cmd: x\n"
                                       "    meta: *s\n"), "status",
         "dvc.yaml:2: invalid YAML: found a recursive alias"),
    Case("yaml-not-utf8", write("dvc.yaml", b"stages:\n  s:\n    cmd: \xff\xfe\n"), "status", 'dvc.yaml: invalid YAML: not UTF-8 text (invalid leading UTF-8 octet at byte 22)'),
]
CASES += [  # params files
    Case("params-invalid-yaml", write("params.yaml", "lr: [1\n"), "status", "params.yaml:2: invalid YAML: did not find expected ',' or ']'"),
    Case("params-list", write("params.yaml", "- 1\n"), "status", None, rc=0,
         stdout="s:\n\tchanged deps:\n\t\tparams.yaml:\n\t\t\tdeleted:            lr\n"),
    Case("params-missing-key", write("params.yaml", "other: 1\n"), "repro",
         "failed to reproduce 's': dvc.yaml:stages.s.params: parameters 'lr' are missing from "
         "'params.yaml'", rc=1, stdout="'data.txt.dvc' didn't change, skipping\n"),  # NOTE: as DVC,
    # `repro` visits only what dvc.yaml's stages need: d.dvc is upstream of nothing
    Case("params-duplicate-key", write("params.yaml", "lr: 1\nlr: 2\n"), "status",
         "params.yaml:2: invalid YAML: found duplicate key 'lr'"),
    Case("params-json-invalid", both(stage("params", [{"p.json": ["lr"]}]),
                                     write("p.json", "{lr: 1")), "status", 'p.json: invalid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)'),
    Case("params-py-invalid", both(stage("params", [{"p.py": ["lr"]}]),
                                   write("p.py", "lr = (\n")), "status", "p.py:1: invalid Python: '(' was never closed"),
    Case("params-alias-bomb", write("params.yaml", "\n".join(
        ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
        + ["lr: *a8"]) + "\n"), "status",
         "params.yaml:6: invalid YAML: the document expands to more than 1000000 values "
         "(aliases?)"),
]
CASES += [  # .dvc/config and .dvcignore
    Case("config-unknown-remote", config("[core]\n    remote = nope\n"), "push", "remote 'nope' doesn't exist (configured: none); see 'dvcdoit remote list'"),
    Case("config-remote-no-url", config("[core]\n    remote = r\n['remote \"r\"']\n"), "push",
         '{repo}/.dvc/config: [remote "r"] url: missing; every remote needs a url'),
    Case("config-remote-empty-url", config("[core]\n    remote = r\n['remote \"r\"']\n"
                                           "    url =\n"), "pull", '{repo}/.dvc/config: [remote "r"] url: empty; every remote needs a url'),
    Case("config-remote-bad-scheme", config("[core]\n    remote = r\n['remote \"r\"']\n"
                                            "    url = gopher://x/y\n"), "push", ("remote 'r': url scheme 'gopher://' is not supported; use a local path or one of "
         "s3://, http://, https://, ssh://, webdav://, webdavs://, gs://, azure://")),
    Case("config-invalid-ini", config("[core\nremote = r\n"), "status", "{repo}/.dvc/config:1: malformed section header '[core'"),
    Case("config-bad-cache-type", config("[cache]\n    type = teleport\n"), "checkout -f", ("configuration error - config file error: Unsupported cache type(s): teleport "
         "for dictionary value @ data['cache']['type'] (in {repo}/.dvc/config; use reflink, hardlink, symlink, copy)")),
    Case("dvcignore-bad-pattern", write(".dvcignore", "foo\\\n"), "status", ".dvcignore: line 1: invalid pattern 'foo\\\\': a trailing backslash escapes nothing"),
]
CASES += [  # symlinks
    Case("symlink-parent-outside", both(symlink("lnk", "../outside"),
                                        dvc_out("path", "lnk/new.txt")), "checkout -f", "checkout failed for: 'lnk/new.txt' lies below a symlink that leads outside the repo (or into .dvc/ or .git/); replace the symlink with a directory"),
    Case("symlink-parent-into-dvc", both(symlink("lnk", ".dvc"), dvc_out("path", "lnk/config")),
         "checkout -f", "checkout failed for: 'lnk/config' lies below a symlink that leads outside the repo (or into .dvc/ or .git/); replace the symlink with a directory"),
    Case("symlink-parent-into-git-commit", both(symlink("lnk", ".git"),
                                                dvc_out("path", "lnk/config")), "commit -f",
         "'lnk/config' lies below a symlink that leads outside the repo (or into .dvc/ or .git/); replace the symlink with a directory"),
    Case("symlink-dir-out-outside", both(remove("d"), symlink("d", "../outside")),
         "checkout -f", None, rc=0),
    Case("symlink-file-out-outside", both(remove("data.txt"),
                                          symlink("data.txt", "../outside/secret.txt")),
         "checkout -f", None, rc=0),
    Case("symlink-add-below-outside-link", symlink("lnk", "../outside"), "add lnk/secret.txt",
         "'lnk/secret.txt' is outside of the repo '{repo}'; only paths inside it can be used"),
]


def _ids() -> list[str]:
    ids = [c.id for c in CASES]
    assert len(set(ids)) == len(ids), "duplicate case ids"
    return ids


def run_case(template: Path, tmp_path: Path, case: Case) -> tuple[subprocess.CompletedProcess[str],
                                                                  Path, dict[str, Any],
                                                                  dict[str, bytes]]:
    """Copy the template, damage it, snapshot, run the verb; return what the test checks."""
    root = tmp_path / "case"
    shutil.copytree(template, root, symlinks=True)
    case.mutate(root)
    repo = root / "repo"
    outside = _tree(root, skip=repo)
    before = _workspace(repo)
    return _run(repo, *case.verb.split()), root, outside, before


@pytest.mark.parametrize("case", CASES, ids=_ids())
def test_hostile_input(template: Path, tmp_path: Path, case: Case) -> None:
    proc, root, outside, before = run_case(template, tmp_path, case)
    repo = root / "repo"
    assert "Traceback" not in proc.stderr
    assert proc.stderr == case.stderr(root)
    assert proc.returncode == case.rc
    if case.stdout is not None:
        assert proc.stdout == case.stdout
    assert _tree(root, skip=repo) == outside  # nothing outside the repo changed
    after = _workspace(repo)
    lost = sorted(k for k, v in before.items() if k not in case.changes and after.get(k) != v)
    assert lost == []  # every workspace file that existed keeps its bytes


def test_the_table_is_big_enough() -> None:
    assert len(CASES) >= 80


@pytest.mark.parametrize("relpath", ["../x", "files/md5/../../../x", "/etc/passwd", "a\x00b"])
def test_the_local_remote_refuses_a_relpath_that_escapes(tmp_path: Path, relpath: str) -> None:
    from dvcdoit.core.errors import RemoteError
    from dvcdoit.storage.remotes.local import LocalRemote

    remote = LocalRemote(tmp_path / "remote")
    (tmp_path / "f").write_text("x")
    with pytest.raises(RemoteError, match=r"^remote .*: refusing relpath "):
        remote.upload(tmp_path / "f", relpath)
    with pytest.raises(RemoteError, match=r"^remote .*: refusing relpath "):
        remote.download(relpath, tmp_path / "g")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]
