"""The server's memory of open spec files: their editor texts (an `api.Overlay`), and the
last lint of each, redone after a short pause in typing and for the files that import a
changed one.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from promptspec import api
from promptspec.diagnostics import Diagnostic
from promptspec.errors import PromptspecError
from promptspec.paths import is_spec_path, syntax_of

if TYPE_CHECKING:
    from promptspec.resolve import Resolution

__all__ = ["DEBOUNCE_SECONDS", "Linted", "OpenSpecs"]

DEBOUNCE_SECONDS = 0.01
"""The pause after a change before linting. Edits that arrive within it, or while a lint
runs (they queue behind it), are linted once, after the last."""


@dataclass(slots=True)
class Linted:
    """One lint of one open file: the text it read and what it found."""

    uri: str
    path: str
    version: int | None
    text: str
    diagnostics: list[Diagnostic]
    resolution: Resolution | None
    imported: frozenset[str] = field(default_factory=frozenset)
    """Real paths of every file the lint read through imports."""
    error: str | None = None
    """A configuration or reading problem that stopped the lint (one line)."""

    @property
    def syntax(self) -> str:
        return syntax_of(self.path)


def _imported(path: str, res: Resolution | None) -> frozenset[str]:
    """Real paths of the files a lint read through imports, and of the file's own imports
    that it could not read (so that opening or saving one lints this file again)."""
    if res is None:
        return frozenset()
    named = [os.path.join(os.path.dirname(path), imp.path)
             for imp in (res.spec.imports if res.spec is not None else ())]
    return frozenset(os.path.realpath(p) for p in (*res.imported_paths, *named))


class OpenSpecs:
    """Open files by URI: their texts, their last lint, and the lints waiting to run."""

    def __init__(self, publish: Callable[[Linted], None]) -> None:
        self.overlay = api.Overlay()
        self.paths: dict[str, str] = {}
        self.linted: dict[str, Linted] = {}
        self.good: dict[str, Resolution] = {}
        """The last resolution that parsed, per URI (completion while a line is half typed)."""
        self._texts: dict[str, tuple[int | None, str]] = {}
        self._waiting: dict[str, asyncio.Handle] = {}
        self._publish = publish

    @staticmethod
    def handles(path: str) -> bool:
        return is_spec_path(path)

    def opened(self, uri: str, path: str, version: int | None, text: str) -> None:
        self.paths[uri] = path
        self.changed(uri, version, text, delay=0.0)

    def changed(self, uri: str, version: int | None, text: str,
                delay: float = DEBOUNCE_SECONDS) -> None:
        path = self.paths[uri]
        self._texts[uri] = (version, text)
        self.overlay.set(path, text)
        self._schedule(uri, delay)

    def closed(self, uri: str) -> None:
        path = self.paths.pop(uri, None)
        handle = self._waiting.pop(uri, None)
        if handle is not None:
            handle.cancel()
        self._texts.pop(uri, None)
        self.linted.pop(uri, None)
        self.good.pop(uri, None)
        if path is not None:
            self.overlay.drop(path)
            self.relint_importers(path)

    def _schedule(self, uri: str, delay: float) -> None:
        handle = self._waiting.pop(uri, None)
        if handle is not None:
            handle.cancel()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.lint(uri)
            return
        if delay <= 0:
            self._waiting[uri] = loop.call_soon(self._run, uri)
        else:
            self._waiting[uri] = loop.call_later(delay, self._run, uri)

    def _run(self, uri: str) -> None:
        self._waiting.pop(uri, None)
        if uri in self.paths:
            linted = self.lint(uri)
            self._publish(linted)
            self.relint_importers(linted.path)

    def relint_importers(self, path: str) -> None:
        """Lint again the open files that import `path` (changed in the editor or on disk)."""
        real = os.path.realpath(path)
        for other, linted in list(self.linted.items()):
            if real in linted.imported and other in self.paths and other not in self._waiting:
                self._schedule(other, 0.0)

    def present(self, uri: str) -> tuple[str, str] | None:
        """(path, text as the editor has it now) of an open file."""
        if uri not in self.paths:
            return None
        return self.paths[uri], self._texts[uri][1]

    def current(self, uri: str) -> Linted | None:
        """The lint of the file's present text, linting now if a lint is still waiting."""
        if uri not in self.paths:
            return None
        text = self._texts[uri][1]
        linted = self.linted.get(uri)
        if linted is None or linted.text != text:
            handle = self._waiting.pop(uri, None)
            if handle is not None:
                handle.cancel()
            linted = self.lint(uri)
            self._publish(linted)
        return linted

    def lint(self, uri: str) -> Linted:
        path = self.paths[uri]
        version, text = self._texts[uri]
        try:
            result = api.lint([path], overlay=self.overlay)
        except PromptspecError as err:  # an invalid [tool.promptspec], as lint reports it
            linted = Linted(uri, path, version, text, [], None, error=str(err))
        except Exception as err:  # a bug: say so in the editor, keep serving
            linted = Linted(uri, path, version, text, [], None,
                            error=f"promptspec: internal error: {type(err).__name__}: {err}")
        else:
            res = result.resolutions[0] if result.resolutions else None
            mine = [d for d in result.diagnostics if d.span.path == path]
            linted = Linted(uri, path, version, text, mine, res, _imported(path, res))
            if res is not None and res.spec is not None:
                self.good[uri] = res
        self.linted[uri] = linted
        return linted

    def text_of(self, path: str) -> str:
        """A file's text: the editor's when it is open, else the file on disk."""
        text = self.overlay.text(path)
        if text is not None:
            return text
        try:
            with open(path, encoding="utf-8-sig", errors="replace") as f:
                return f.read()
        except OSError:
            return ""
