"""The digests of the files a run reads, each read once, and their places: what the lint
cache compares an entry's dependencies against.

    digest(data)                    the hex SHA-256 of some bytes
    Digests.place(path)             a file's real path and project root
    Digests.of(path) / .remember()  a file's digest (or a marker: missing, folder, unreadable)
    Digests.described(config)       the configuration written out, once a run
"""

from __future__ import annotations

import hashlib
import os

from promptspec.config import Config
from promptspec.load import file_sha256
from promptspec.paths import real_project_root

__all__ = ["Digests", "digest"]


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Digests:
    """The digest of each file a finding may depend on, read once per run. A missing file,
    a folder or an unreadable file get a marker of their own, so that its appearance counts
    as a change too. Also each file's real path and project root, its folder's worked out
    once (a warm run does little else per file)."""

    def __init__(self) -> None:
        self._memo: dict[str, str] = {}
        self._folders: dict[str, tuple[str, str]] = {}  # folder -> (real folder, root)
        self._configs: dict[int, tuple[Config, str]] = {}  # each kept: its id stays its own

    def described(self, config: Config) -> str:
        """The whole configuration written out (part of every entry's key), once a run."""
        known = self._configs.get(id(config))
        if known is None:
            known = self._configs[id(config)] = (config, repr(config))
        return known[1]

    def place(self, path: str) -> tuple[str, str]:
        """`path`'s real path and its project root."""
        folder, name = os.path.split(os.path.abspath(path))
        known = self._folders.get(folder)
        if known is None:
            real_folder = os.path.realpath(folder)
            known = self._folders[folder] = (
                real_folder, real_project_root(os.path.join(real_folder, name)))
        if os.path.islink(path):
            real = os.path.realpath(path)
            return real, real_project_root(real)
        return os.path.join(known[0], name), known[1]

    def of(self, path: str) -> str:
        real = self.place(path)[0]
        found = self._memo.get(real)
        if found is None:
            found = self._memo[real] = _file_state(real)
        return found

    def remember(self, real: str, data: bytes) -> str:
        """The digest of bytes just read from the file at `real` (kept for the run)."""
        found = self._memo[real] = digest(data)
        return found


def _file_state(real: str) -> str:
    try:
        return file_sha256(real)
    except FileNotFoundError:
        return "missing"
    except IsADirectoryError:
        return "folder"
    except OSError as err:
        return f"unreadable:{err.errno}"
