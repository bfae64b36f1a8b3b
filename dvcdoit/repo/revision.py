"""Files of the repo as they are at a git revision, read through one ``git cat-file --batch``.

What ``dvcdoit.api``'s ``rev=`` and the results verbs (``metrics``, ``params``, ``plots``,
``diff``) read: the ``dvc.yaml``, ``dvc.lock``, ``.dvc``, params and metrics files of a
commit, branch or tag, without touching the workspace. All revisions of one repo share one
:class:`GitObjects` (a single ``git cat-file --batch`` process for the lot, not one ``git
show`` per file). A revision git does not know is one line.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import IO

from dvcdoit.core.errors import PathError


def run_git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False)
    except FileNotFoundError:
        msg = "git is not installed; a revision cannot be read without it"
        raise PathError(msg) from None


class GitObjects:
    """One ``git cat-file --batch`` process of the repo at ``root``, started when first used."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._proc: subprocess.Popen[bytes] | None = None
        self._trees: dict[str, list[str]] = {}

    def _pipes(self) -> tuple[IO[bytes], IO[bytes]]:
        if self._proc is None:
            try:
                self._proc = subprocess.Popen(
                    ["git", "-C", str(self.root), "cat-file", "--batch"],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            except FileNotFoundError:
                msg = "git is not installed; a revision cannot be read without it"
                raise PathError(msg) from None
        assert self._proc.stdin is not None and self._proc.stdout is not None
        return self._proc.stdin, self._proc.stdout

    def _object(self, spec: str) -> tuple[bytes, bytes] | None:
        """(type, bytes) of the object ``spec`` names, or None if git has none."""
        if "\n" in spec:
            return None
        stdin, stdout = self._pipes()
        stdin.write(spec.encode(errors="surrogateescape") + b"\n")
        stdin.flush()
        header = stdout.readline().split()
        if len(header) != 3:  # NOTE: "<spec> missing" or "<spec> ambiguous"
            return None
        data = stdout.read(int(header[2]) + 1)[:-1]  # NOTE: each object ends with a newline
        return header[1], data

    def blob(self, spec: str) -> bytes | None:
        """The bytes of ``spec`` (``SHA:path``), or None if it is missing or not a file."""
        found = self._object(spec)
        return found[1] if found is not None and found[0] == b"blob" else None

    def tree_files(self, tree: str) -> list[str]:
        """Every file path under tree ``tree`` (a sha or ``SHA^{tree}``), sorted as git does.

        Each distinct subtree is read once per process (commits of one history share most
        of theirs), through the same ``cat-file`` pipe: no process per revision.
        """
        found = self._object(tree)
        if found is None or found[0] != b"tree":
            return []
        files: list[str] = []
        data, pos = found[1], 0
        while pos < len(data):
            space = data.index(b" ", pos)
            nul = data.index(b"\0", space)
            mode, name = data[pos:space], data[space + 1:nul].decode(errors="surrogateescape")
            sha = data[nul + 1:nul + 21].hex()
            pos = nul + 21
            if mode == b"40000":
                files += [f"{name}/{p}" for p in self._subtree(sha)]
            elif mode != b"160000":  # NOTE: a submodule is no file of this repo
                files.append(name)
        return files

    def _subtree(self, sha: str) -> list[str]:
        if sha not in self._trees:
            self._trees[sha] = self.tree_files(sha)
        return self._trees[sha]

    def close(self) -> None:
        """End the ``git cat-file`` process (it also ends with the interpreter)."""
        if self._proc is not None:
            if self._proc.stdin is not None:
                self._proc.stdin.close()
            self._proc.wait()
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            self._proc = None


class Revision:
    """One commit of the git repo at ``root``, named by ``rev`` (any form git accepts)."""

    def __init__(self, root: Path, rev: str, objects: GitObjects | None = None,
                 sha: str | None = None) -> None:
        self.root = root
        self.rev = rev
        self.objects = objects or GitObjects(root)
        self.sha = sha or resolve(root, rev)
        self._files: list[str] | None = None

    def files(self) -> list[str]:
        """Every file path of the revision (repo-relative, posix), listed once."""
        if self._files is None:
            self._files = self.objects.tree_files(f"{self.sha}^{{tree}}")
        return self._files

    def has(self, path: str) -> bool:
        """Whether git holds a file ``path`` at the revision."""
        return self.objects.blob(f"{self.sha}:{path}") is not None

    def read(self, path: str) -> bytes:
        """The bytes of ``path`` at the revision; :class:`PathError` if it has no such file."""
        data = self.objects.blob(f"{self.sha}:{path}")
        if data is None:
            msg = f"'{path}' does not exist at revision '{self.rev}'"
            raise PathError(msg)
        return data


def resolve(root: Path, rev: str) -> str:
    """The commit sha that ``rev`` names; :class:`PathError` naming it if git knows none."""
    proc = run_git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    if proc.returncode != 0 or not proc.stdout.strip():
        shallow = (root / ".git" / "shallow").exists()
        hint = " (this clone is shallow: `git fetch --unshallow` brings the history)" \
            if shallow else ""
        msg = f"unknown Git revision '{rev}'{hint}"  # NOTE: DVC's words
        raise PathError(msg)
    return proc.stdout.decode().strip()


__all__ = ["GitObjects", "Revision", "resolve", "run_git"]
