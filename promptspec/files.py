"""Where spec bytes come from: a `FileReader` that loading, resolution, the file checks and
expansion read through, so one pipeline can check and expand the disk or a git revision.

    FileReader      read(path) -> bytes (raises OSError), is_file(path) -> bool
    DISK            the working tree, through the operating system
"""

from __future__ import annotations

import os
from typing import Protocol

__all__ = ["DISK", "DiskReader", "FileReader"]


class FileReader(Protocol):
    def read(self, path: str) -> bytes:
        """The file's bytes; OSError (FileNotFoundError, IsADirectoryError...) when it has none."""
        ...

    def is_file(self, path: str) -> bool:
        """Whether `path` names a regular file."""
        ...


class DiskReader:
    """The files on disk."""

    def read(self, path: str) -> bytes:
        with open(path, "rb") as f:
            return f.read()

    def is_file(self, path: str) -> bool:
        return os.path.isfile(path)


DISK: FileReader = DiskReader()
