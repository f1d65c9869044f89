"""Texts that stand in for files on disk (an editor's unsaved buffers), for the engine.

An `Overlay` is a `FileReader` (its texts are files, even before they are saved; everything
else is read from the disk), and keeps parses: each text is parsed once, and a file read
from disk (an import) is parsed again only when its size or modification time changes, so
a lint after an edit re-parses only what changed. `api.lint(paths, overlay=...)` hands
both to the engine.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from promptspec.syntax import Parsed

__all__ = ["Overlay"]


class Overlay:
    """Texts that stand in for files on disk, by path, and the parses kept between lints."""

    def __init__(self) -> None:
        self._texts: dict[str, tuple[str, str]] = {}  # realpath -> (path, text)
        self._kept: dict[str, tuple[object, Parsed]] = {}  # realpath -> (freshness, parsed)

    def set(self, path: str, text: str) -> None:
        self._texts[os.path.realpath(path)] = (path, text)

    def drop(self, path: str) -> None:
        real = os.path.realpath(path)
        self._texts.pop(real, None)
        self._kept.pop(real, None)

    def read(self, path: str) -> bytes:
        """The text's bytes for a path the overlay holds, else the file's on disk."""
        entry = self._texts.get(os.path.realpath(path))
        if entry is not None:
            return entry[1].encode("utf-8")
        from promptspec.load import DISK

        return DISK.read(path)

    def is_file(self, path: str) -> bool:
        return os.path.realpath(path) in self._texts or os.path.isfile(path)

    def text(self, path: str) -> str | None:
        entry = self._texts.get(os.path.realpath(path))
        return entry[1] if entry is not None else None

    @staticmethod
    def _stat(real: str) -> object:
        try:
            st = os.stat(real)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def parses(self) -> dict[str, Parsed]:
        """realpath -> Parsed for every text and every unchanged file parsed before."""
        from promptspec.load import load_bytes

        out: dict[str, Parsed] = {}
        for real, (key, parsed) in list(self._kept.items()):
            entry = self._texts.get(real)
            fresh = entry is None and key == ("disk", self._stat(real))
            if fresh or (entry is not None and key == ("text", entry)):
                out[real] = parsed
            else:
                del self._kept[real]
        for real, entry in self._texts.items():
            if real not in out:
                path, text = entry
                out[real] = load_bytes(text.encode("utf-8"), path)  # as a file would be
                self._kept[real] = (("text", entry), out[real])
        return out

    def keep(self, parses: Mapping[str, Parsed]) -> None:
        """Remember the files a lint read from disk, for the next lint."""
        for real, parsed in parses.items():
            if real not in self._kept and real not in self._texts:
                self._kept[real] = (("disk", self._stat(real)), parsed)
