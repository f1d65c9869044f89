"""The files of a git revision, read with `git ls-tree` and `git cat-file`: nothing is
checked out and the working tree is never touched.

`Revision` is a `FileReader` over working-tree paths: `specs/a.pspec` (relative to the current
folder, or absolute) names that file as the revision holds it.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator, Sequence
from typing import IO

from promptspec.errors import UsageError
from promptspec.paths import is_spec_path

__all__ = ["Revision", "resolve_commit", "work_tree"]


def _git(args: Sequence[str], cwd: str | None = None) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except OSError as err:
        raise UsageError(f"cannot run git: {err.strerror or err}") from None


def work_tree(start: str = ".") -> str:
    """The top folder of the git work tree holding `start`; UsageError outside one."""
    done = _git(["rev-parse", "--show-toplevel"], cwd=start)
    top = done.stdout.decode("utf-8", "surrogateescape").strip()
    if done.returncode != 0 or not top:
        raise UsageError(f"{os.path.abspath(start)} is not inside a git repository")
    return os.path.realpath(top)


def resolve_commit(top: str, rev: str) -> str | None:
    """The commit id `rev` names, or None when git does not resolve it to a commit."""
    if not rev or rev.startswith("-"):
        return None
    done = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
                cwd=top)
    out = done.stdout.decode().strip()
    return out if done.returncode == 0 and out else None


class Revision:
    """A `FileReader` over one commit's tree. Blobs come through one `git cat-file --batch`."""

    def __init__(self, top: str, rev: str, commit: str) -> None:
        self.top = top
        self.rev = rev
        self.commit = commit
        done = _git(["ls-tree", "-r", "-z", "--full-tree", commit], cwd=top)
        if done.returncode != 0:
            raise UsageError(f"cannot list revision {rev!r}: "
                             f"{done.stderr.decode(errors='replace').strip()}")
        self.blobs: dict[str, str] = {}
        """Path in the repository -> blob id, for regular files."""
        for entry in done.stdout.split(b"\0"):
            if not entry:
                continue
            meta, _, name = entry.partition(b"\t")
            mode, kind, oid = meta.decode().split()
            if kind == "blob" and mode in ("100644", "100755"):
                self.blobs[name.decode("utf-8", "surrogateescape")] = oid
        self._batch: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Revision:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._batch is not None:
            assert self._batch.stdin is not None
            self._batch.stdin.close()
            self._batch.wait()
            self._batch = None

    def in_repo(self, path: str) -> str | None:
        """`path` (a working-tree path) as a path inside the repository; None outside it."""
        rel = os.path.relpath(os.path.abspath(path), self.top).replace(os.sep, "/")
        if rel == "..":
            return None
        if rel.startswith("../"):
            return None
        return "" if rel == "." else rel

    def is_file(self, path: str) -> bool:
        rel = self.in_repo(path)
        return rel is not None and rel in self.blobs

    def exists(self, path: str) -> bool:
        """Whether the revision holds `path` as a file or a folder."""
        rel = self.in_repo(path)
        if rel is None:
            return False
        if rel == "" or rel in self.blobs:
            return True
        prefix = rel + "/"
        return any(name.startswith(prefix) for name in self.blobs)

    def read(self, path: str) -> bytes:
        rel = self.in_repo(path)
        oid = self.blobs.get(rel) if rel is not None else None
        if oid is None:
            raise FileNotFoundError(errno.ENOENT, f"not in revision {self.rev}", path)
        stdin, stdout = self._pipes()
        stdin.write(oid.encode() + b"\n")
        stdin.flush()
        header = stdout.readline().split()
        if len(header) != 3:
            raise OSError(errno.EIO, f"git cat-file: {b' '.join(header).decode()}", path)
        data = stdout.read(int(header[2]))
        stdout.read(1)  # the newline after each object
        return data

    def _pipes(self) -> tuple[IO[bytes], IO[bytes]]:
        if self._batch is None:
            self._batch = subprocess.Popen(["git", "cat-file", "--batch"], cwd=self.top,
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self._batch.stdin is not None and self._batch.stdout is not None
        return self._batch.stdin, self._batch.stdout

    def specs(self, given: str) -> Iterator[str]:
        """The spec files of the revision at or under `given`, shown below it like
        `discover` shows them (hidden folders skipped)."""
        rel = self.in_repo(given)
        if rel is None:
            return
        if rel in self.blobs:
            yield given
            return
        prefix = "" if rel == "" else rel + "/"
        for name in sorted(self.blobs):
            if not name.startswith(prefix) or not is_spec_path(name):
                continue
            below = name[len(prefix):]
            if any(part.startswith(".") for part in below.split("/")[:-1]):
                continue
            yield os.path.normpath(os.path.join(given, below))
