"""The load stage: find spec files, read and decode them, and hand each to its front end.

    discover(paths)   the files a command works on: given files as named, folders walked
    load(path)        read, decode and parse one file -> `Parsed` (model + front-end findings)
    parse_source      parse text already decoded, by the syntax its name says
    FileReader, DISK  where spec bytes come from: loading, resolution, the file checks and
                      expansion read through one, so the pipeline runs on the disk (DISK) or
                      on a git revision alike

Discovery walks folders for `*.pspec`, `*.pspec.yaml` and `*.pspec.yml`, skipping hidden
folders, whatever is not a regular file, links to folders (no loops, no walking outside the
tree) and what the work tree's `.gitignore` files ignore (git's own rules, matched in
linear time by `promptspec.gitignore`; `.git/info/exclude` and global excludes are not read).
A path that cannot be opened raises `SpecReadError` (exit 2).
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Iterator, Sequence
from typing import Protocol

from promptspec.diagnostics import Code, Diagnostic
from promptspec.errors import SpecReadError
from promptspec.gitignore import IgnoreFile
from promptspec.model import Span
from promptspec.paths import is_spec_path, syntax_of, work_tree_top
from promptspec.syntax import Parsed

__all__ = ["DISK", "MAX_SPEC_BYTES", "DiskReader", "FileReader", "Parsed", "decode", "discover",
           "file_sha256", "load", "load_bytes", "parse_source", "read_bytes", "strip_bom"]

MAX_SPEC_BYTES = 10 * 1024 * 1024
BOM = b"\xef\xbb\xbf"


class FileReader(Protocol):
    def read(self, path: str) -> bytes:
        """The file's bytes; OSError (FileNotFoundError, IsADirectoryError...) when it has none."""
        ...

    def is_file(self, path: str) -> bool:
        """Whether `path` names a regular file."""
        ...


class DiskReader:
    """The files on disk (a spec itself is read by `read_bytes`, with its safeguards)."""

    def read(self, path: str) -> bytes:
        with open(path, "rb") as f:
            return f.read()

    def is_file(self, path: str) -> bool:
        return os.path.isfile(path)


DISK: FileReader = DiskReader()


def parse_source(text: str, path: str) -> Parsed:
    """Parse decoded source text by the syntax its file name says."""
    if syntax_of(path) == "yaml":
        from promptspec.syntax.yaml.document import parse_yaml

        return parse_yaml(text, path)
    from promptspec.syntax.dsl.builder import parse_dsl

    return parse_dsl(text, path)


def strip_bom(data: bytes) -> tuple[bytes, bool]:
    """The bytes without a leading UTF-8 BOM, and whether there was one."""
    return (data[3:], True) if data.startswith(BOM) else (data, False)


def _decode_error(data: bytes, err: UnicodeDecodeError, path: str) -> Diagnostic:
    before = data[: err.start]
    line = before.count(b"\n") + 1
    line_start = before.rfind(b"\n") + 1
    column = len(before[line_start:].decode("utf-8", errors="replace")) + 1
    span = Span(path, line, column, line, column + 1)
    return Diagnostic(Code.SYNTAX_ERROR,
                      f"the file is not valid UTF-8 (byte 0x{data[err.start]:02x})", span)


def decode(data: bytes, path: str) -> tuple[str, Diagnostic | None]:
    """UTF-8 with an optional BOM; a bad byte is PS001 at its place."""
    data, _ = strip_bom(data)
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as err:
        return "", _decode_error(data, err, path)


def file_sha256(path: str) -> str:
    """The hex SHA-256 of a regular file's bytes, streamed (an upload may be large). Anything
    else (a FIFO, a device) is an OSError at once, never a read that blocks or never ends."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", path)
        with os.fdopen(fd, "rb", closefd=False) as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    finally:
        os.close(fd)


def read_bytes(path: str, reader: FileReader = DISK) -> bytes:
    """A spec file's bytes. Only a regular file is read (a FIFO or a device never blocks
    or streams forever); a file over MAX_SPEC_BYTES is returned cut one byte past the
    limit, for `load` to report. Another `reader` is asked for the bytes."""
    if reader is not DISK:
        try:
            return reader.read(path)[: MAX_SPEC_BYTES + 1]
        except FileNotFoundError:
            raise SpecReadError(f"{path}: no such file") from None
        except OSError as err:
            raise SpecReadError(f"{path}: cannot read: {err.strerror or err}") from None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except IsADirectoryError:
        raise SpecReadError(f"{path}: is a directory, not a spec file") from None
    except FileNotFoundError:
        raise SpecReadError(f"{path}: no such file") from None
    except OSError as err:
        raise SpecReadError(f"{path}: cannot read: {err.strerror or err}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise SpecReadError(f"{path}: is a directory, not a spec file")
        if not stat.S_ISREG(info.st_mode):
            raise SpecReadError(f"{path}: not a regular file")
        return _read_to_limit(fd, info.st_size)
    except OSError as err:
        raise SpecReadError(f"{path}: cannot read: {err.strerror or err}") from None
    finally:
        os.close(fd)


def _read_to_limit(fd: int, size: int) -> bytes:
    """An open regular file's bytes to its end, at most MAX_SPEC_BYTES + 1 of them: read
    straight from the descriptor (a buffered file object costs several times the read of a
    spec), asking first for the size `fstat` gave and one byte more, so that one read is
    all a spec takes (a regular file reads short only at its end). A file that has grown
    meanwhile is read on."""
    limit = MAX_SPEC_BYTES + 1
    chunks: list[bytes] = []
    total = 0
    want = min(limit, max(size, 0) + 1)
    while total < limit:
        asked = min(want, limit - total)
        chunk = os.read(fd, asked)
        chunks.append(chunk)
        total += len(chunk)
        if len(chunk) < asked:
            break
        want = 1 << 16
    return b"".join(chunks)


def load(path: str, reader: FileReader = DISK) -> Parsed:
    """Read, decode and parse one spec file. Raises SpecReadError if it cannot be read."""
    return load_bytes(read_bytes(path, reader), path)


def load_bytes(data: bytes, path: str) -> Parsed:
    """Decode and parse the bytes `read_bytes` returned for `path`."""
    if len(data) > MAX_SPEC_BYTES:
        span = Span(path, 1, 1, 1, 1)
        too_big = f"the file is larger than {MAX_SPEC_BYTES:,} bytes (10 MiB)"
        return Parsed(path, "", None, (Diagnostic(Code.SYNTAX_ERROR, too_big, span),))
    text, bad = decode(data, path)
    if bad is not None:
        return Parsed(path, "", None, (bad,))
    return parse_source(text, path)


# -- discovery ----------------------------------------------------------------------------

class GitIgnore:
    """The `.gitignore` files of one work tree, each read once, deeper ones winning."""

    def __init__(self, top: str) -> None:
        self.top = os.path.abspath(top)
        self._specs: dict[str, IgnoreFile | None] = {}

    def _spec(self, folder: str) -> IgnoreFile | None:
        if folder not in self._specs:
            try:
                with open(os.path.join(folder, ".gitignore"), encoding="utf-8",
                          errors="replace") as f:
                    lines = f.read(MAX_SPEC_BYTES).splitlines()
            except OSError:
                lines = []
            self._specs[folder] = IgnoreFile.from_lines(lines) if lines else None
        return self._specs[folder]

    def ignored(self, path: str, is_dir: bool) -> bool:
        """Whether `path` (absolute, inside the work tree) is ignored. Folders are checked
        on the way down, so a file in an ignored folder never gets here."""
        rel_top = os.path.relpath(path, self.top).replace(os.sep, "/")
        if rel_top.startswith("../"):
            return False
        parts = rel_top.split("/")
        result = False
        folder = self.top
        for depth in range(len(parts)):
            if depth:
                folder = os.path.join(folder, parts[depth - 1])
            spec = self._spec(folder)
            if spec is None:
                continue
            include = spec.match("/".join(parts[depth:]), is_dir)
            if include is not None:
                result = include
        return result


def _walk(folder: str, shown: str, ignore: GitIgnore) -> Iterator[str]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        name = entry.name
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
            is_file = not is_dir and entry.is_file(follow_symlinks=True)
        except OSError:
            continue
        if is_dir:
            if name.startswith(".") or ignore.ignored(entry.path, True):
                continue
            yield from _walk(entry.path, os.path.join(shown, name), ignore)
        elif is_file and is_spec_path(name) and not ignore.ignored(entry.path, False):
            yield os.path.normpath(os.path.join(shown, name))


def discover(paths: Sequence[str] = ()) -> list[str]:
    """The spec files to work on: explicit files as given, folders walked (default: `.`).

    Paths are reported as given, joined with what lies below them (`specs/a.pspec`). A
    given path that does not exist is kept, so that loading it reports the read error.
    """
    out: list[str] = []
    seen: set[str] = set()
    for given in paths or (".",):
        if os.path.isdir(given):
            start = os.path.abspath(given)
            found: Iterator[str] = _walk(start, given, GitIgnore(work_tree_top(start)))
        else:
            found = iter((given,))
        for p in found:
            key = os.path.abspath(p)
            if key not in seen:
                seen.add(key)
                out.append(p)
    return out
