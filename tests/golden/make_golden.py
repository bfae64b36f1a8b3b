"""Regenerate the golden files in this directory with REAL dvc 3.67.1 (run once, commit output).

Usage: ``python tests/golden/make_golden.py [path/to/dvc]`` (default: ~/venvs/dvc/bin/dvc).

Every case runs real DVC in a fresh git repo under a temp dir and copies what DVC wrote:
``dvcfile/<case>.dvc`` (the ``.dvc`` file bytes), ``dirs/<case>.dir`` (``.dir`` manifest bytes
from the cache), ``gitignore/<case>.gitignore`` (the ``.gitignore`` DVC wrote), and
``expected.json`` (md5/size/nfiles/isexec per case, as read back from DVC's output).
Legacy (DVC 2) cases are hand-written per spec §3.1 and then re-added with DVC 3.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ENV = {**os.environ, "DVC_NO_ANALYTICS": "1", "DVC_NO_UPDATE_CHECK": "1",
       "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
DVC = sys.argv[1] if len(sys.argv) > 1 else str(Path.home() / "venvs/dvc/bin/dvc")


def run(*args: str, cwd: Path) -> str:
    proc = subprocess.run(args, cwd=cwd, env=ENV, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        msg = f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
        raise SystemExit(msg)
    return proc.stdout


def write(root: Path, tree: dict[str, bytes]) -> None:
    for rel, data in tree.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)


def new_repo(base: Path, name: str) -> Path:
    repo = base / name
    repo.mkdir()
    run("git", "init", "-q", ".", cwd=repo)
    run(DVC, "init", "-q", cwd=repo)
    return repo


def outs_of(dvcfile: Path) -> dict[str, Any]:
    """Read back the single out with the dvc venv's own ruamel (no dvcdoit code involved)."""
    py = Path(DVC).with_name("python")
    code = ("import json,sys; from ruamel.yaml import YAML; "
            "print(json.dumps(YAML(typ='safe').load(open(sys.argv[1]))['outs'][0]))")
    out = subprocess.run([str(py), "-c", code, str(dvcfile)], capture_output=True, text=True,
                         check=True).stdout
    return dict(json.loads(out))


def record(expected: dict[str, Any], case: str, repo: Path, target: str) -> dict[str, Any]:
    """Copy ``target.dvc`` (and its .dir manifest, if any) into the golden tree."""
    src = repo / f"{target}.dvc"
    shutil.copyfile(src, HERE / "dvcfile" / f"{case}.dvc")
    out = outs_of(src)
    entry: dict[str, Any] = {"dvcfile": f"dvcfile/{case}.dvc", "path": out["path"],
                             "md5": out["md5"], "hash": out.get("hash", "md5-dos2unix"),
                             "size": out.get("size"), "nfiles": out.get("nfiles"),
                             "isexec": out.get("isexec", False)}
    if str(out["md5"]).endswith(".dir"):
        md5 = out["md5"]
        sub = "files/md5/" if "hash" in out else ""
        obj = repo / ".dvc/cache" / f"{sub}{md5[:2]}/{md5[2:]}"
        shutil.copyfile(obj, HERE / "dirs" / f"{case}.dir")
        entry["manifest"] = f"dirs/{case}.dir"
    expected[case] = entry
    return entry


def main() -> None:
    for sub in ("dvcfile", "dirs", "gitignore"):
        shutil.rmtree(HERE / sub, ignore_errors=True)
        (HERE / sub).mkdir()
    expected: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        repo = new_repo(base, "r")
        write(repo, {
            "foo.txt": b"foo\r\nbar\n",
            "run.sh": b"#!/bin/sh\necho hi\n",
            "empty.txt": b"",
            "caf\u00e9.txt": b"x\n",
            "123": b"n\n",
            "yes": b"y\n",
            "data/a.txt": b"hello\n",
            "data/sub/b.txt": b"world\n",
            "tricky/B/\"q\".txt": b"y\n",
            "tricky/Z": b"v\n",
            "tricky/a0": b"w\n",
            "tricky/b": b"b\n",
            "tricky/a-b/z": b"z\n",
            "tricky/a/c": b"c\n",
            "tricky/caf\u00e9.txt": b"x\n",
            "tricky/sp ace.txt": b"s\n",
            "sub/x": b"sub\n",
            "gi/we[ird]*#!? name.txt": b"w\n",
            "gi/#hash": b"h\n",
            "gi/dir/f": b"f\n",
            "gi2/.gitignore": b"keep",
            "gi2/f": b"f\n",
            "gi3/.gitignore": b"/f\n",
            "gi3/f": b"f\n",
            "gi4/.gitignore": b"*.bin\n",
            "gi4/x.bin": b"b\n",
        })
        (repo / "run.sh").chmod(0o755)
        (repo / "emptydir").mkdir()
        for case, target in [("file", "foo.txt"), ("exec", "run.sh"), ("empty_file", "empty.txt"),
                             ("unicode_name", "caf\u00e9.txt"), ("numeric_name", "123"),
                             ("yes_name", "yes"), ("dir", "data"), ("tricky_dir", "tricky"),
                             ("empty_dir", "emptydir"), ("subdir_file", "sub/x")]:
            run(DVC, "add", "-q", target, cwd=repo)
            record(expected, case, repo, target)
        for target in ["gi/we[ird]*#!? name.txt", "gi/#hash", "gi/dir", "gi2/f", "gi3/f",
                       "gi4/x.bin"]:
            run(DVC, "add", "-q", target, cwd=repo)
        for name in ("gi", "gi2", "gi3", "gi4", "sub"):
            shutil.copyfile(repo / name / ".gitignore", HERE / "gitignore" / f"{name}.gitignore")
        shutil.copyfile(repo / ".gitignore", HERE / "gitignore" / "root.gitignore")
        record(expected, "weird_name", repo, "gi/we[ird]*#!? name.txt")
        record(expected, "hash_name", repo, "gi/#hash")

        # .dvcignore + built-in ignores while hashing a dir
        write(repo, {
            ".dvcignore": b"*.tmp\n/ign/skipdir/\n!ign/keep.tmp\n",
            "ign/keep.txt": b"k\n", "ign/x.tmp": b"t\n", "ign/keep.tmp": b"kt\n",
            "ign/skipdir/f": b"s\n", "ign/nested/.git": b"gitdir: x\n",
            "ign/nested/real": b"r\n", "ign/subrepo/.dvc/config": b"",
            "ign/subrepo/data": b"d\n", "ign/.hg/x": b"h\n",
        })
        run(DVC, "add", "-q", "ign", cwd=repo)
        record(expected, "ignored_dir", repo, "ign")

        # Legacy (DVC 2) files, hand-written per spec; re-adding unchanged keeps the bytes.
        legacy = new_repo(base, "legacy")
        write(legacy, {"crlf.txt": b"foo\r\nbar\n", "ldir/x.txt": b"a\r\n", "ldir/y.txt": b"b\n",
                       "mod.txt": b"old\r\n", "mdir/x.txt": b"a\r\n", "mdir/y.txt": b"b\n",
                       "ann.txt": b"v1\n"})
        hand = {
            "crlf.txt.dvc": "outs:\n- md5: f47c75614087a8dd938ba4acff252494\n  size: 9\n"
                            "  path: crlf.txt\n",
            "ldir.dvc": "outs:\n- md5: 7feddf007e6e3577837d6ca0cff88683.dir\n  size: 5\n"
                        "  nfiles: 2\n  path: ldir\n",
            "mod.txt.dvc": "md5: 0123456789abcdef0123456789abcdef\nwdir: .\nouts:\n"
                           "- md5: 0123456789abcdef0123456789abcdef\n  size: 5\n  path: mod.txt\n"
                           "  cache: true\n  desc: my data\n  persist: false\n",
            "mdir.dvc": "desc: top desc\nouts:\n- md5: 7feddf007e6e3577837d6ca0cff88683.dir\n"
                        "  size: 5\n  nfiles: 2\n  path: mdir\n  remote: myr\n  push: false\n"
                        "meta:\n  owner: me\n",
        }
        for name, text in hand.items():
            (legacy / name).write_text(text)
            shutil.copyfile(legacy / name, HERE / "dvcfile" / f"legacy_input_{name}")
        run(DVC, "remote", "add", "myr", str(base / "remote"), cwd=legacy)
        (legacy / "mdir/z.txt").write_bytes(b"new\n")
        (legacy / "mod.txt").write_bytes(b"new\r\n")
        for case, target in [("legacy_file", "crlf.txt"), ("legacy_dir", "ldir"),
                             ("legacy_file_changed", "mod.txt"), ("legacy_dir_changed", "mdir")]:
            run(DVC, "add", "-q", target, cwd=legacy)
            record(expected, case, legacy, target)
        # Annotations in odd order are kept in place; changed values replaced in place.
        ann = ("outs:\n- path: ann.txt\n  desc: annotated\n  type: model\n  labels:\n"
               "  - a\n  - b\n  meta:\n    k: v\n  md5: 0123456789abcdef0123456789abcdef\n"
               "  hash: md5\n  size: 1\n  cache: true\n")
        (legacy / "ann.txt.dvc").write_text(ann)
        (HERE / "dvcfile" / "legacy_input_ann.txt.dvc").write_text(ann)
        run(DVC, "add", "-q", "ann.txt", cwd=legacy)
        record(expected, "annotated_rewrite", legacy, "ann.txt")
        # A truly unknown out key: DVC refuses the file; record its error text.
        (legacy / "ann.txt.dvc").write_text(ann.replace("  cache: true\n", "  custom: x\n"))
        proc = subprocess.run([DVC, "status"], cwd=legacy, env=ENV, capture_output=True,
                              text=True, check=False)
        expected["unknown_key_error"] = {"returncode": proc.returncode,
                                         "stderr": proc.stderr.strip().splitlines()[0]}

    (HERE / "expected.json").write_text(json.dumps(expected, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
