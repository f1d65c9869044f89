"""The language server: document sync and pushed diagnostics, and the table of features.

Every feature reads the lint of the editor's present text (`OpenSpecs.current`), so
what the editor shows is what `promptspec lint` would say of that text.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from promptspec import __version__, api
from promptspec.lsp import actions, features
from promptspec.lsp.open_specs import Linted, OpenSpecs
from promptspec.lsp.positions import Lines, span_to_range
from promptspec.paths import atomic_write, private_cache

__all__ = ["SpecServer", "build"]

_SEVERITY = {"error": types.DiagnosticSeverity.Error,
             "warning": types.DiagnosticSeverity.Warning}


class SpecServer(LanguageServer):
    """`promptspec lsp`: one lint engine, reached through `promptspec.api`."""

    def __init__(self) -> None:
        super().__init__("promptspec", __version__,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.specs = OpenSpecs(self.publish)
        self.shut_down = False
        self._explained: dict[str, str] = {}
        self.rules = {r.code.value: r for r in api.rules()}  # looked up by what a user writes

    def lines(self, path: str, text: str) -> Lines:
        return Lines(text, self.workspace.position_codec, path)

    def lines_of_path(self, path: str) -> Lines:
        return self.lines(path, self.specs.text_of(path))

    def explanation_uri(self, code: str) -> str | None:
        """A file holding `promptspec rules CODE`'s text, written once, to link to."""
        if code in self._explained:
            return self._explained[code]
        rule = self.rules.get(code)
        if rule is None:
            return None
        folder = private_cache(f"rules-{__version__}")  # never a shared, predictable path
        if folder is None:
            return None
        path = os.path.join(folder, f"{code}.md")
        body = (f"# {rule.code} {rule.name} ({rule.severity}"
                f"{', fixable' if rule.fixable else ''})\n\n{rule.summary}\n\n"
                f"{rule.explanation.rstrip()}\n\n## Bad\n\n```\n{rule.bad.rstrip()}\n```\n\n"
                f"## Good\n\n```\n{rule.good.rstrip()}\n```\n")
        try:
            atomic_write(path, body, sync=False)
        except OSError:
            return None
        self._explained[code] = from_fs_path(path) or path
        return self._explained[code]

    def to_protocol(self, linted: Linted) -> list[types.Diagnostic]:
        if linted.error is not None:
            at = types.Range(start=types.Position(line=0, character=0),
                             end=types.Position(line=0, character=0))
            return [types.Diagnostic(range=at, message=linted.error, source="promptspec",
                                     severity=types.DiagnosticSeverity.Error)]
        lines = self.lines(linted.path, linted.text)
        out = []
        for d in linted.diagnostics:
            href = self.explanation_uri(d.code)
            out.append(types.Diagnostic(
                range=span_to_range(d.span, lines), message=d.message, source="promptspec",
                code=d.code, severity=_SEVERITY[d.severity],
                code_description=types.CodeDescription(href=href) if href else None,
                data={"fixable": d.fixable}))
        return out

    def publish(self, linted: Linted) -> None:
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=linted.uri, version=linted.version, diagnostics=self.to_protocol(linted)))


_WARM_DSL = """tune 1
vars {
  who = "a fox"
}
preset base {
  cfg_scale = 5
}
prompt a : base {
  text = "{{ who }} by {{ prompt }}"
  sweep {
    seed = 1..3
    steps = [20, 30]
  }
  zip {
    w = [512, 768]
    h = [512, 768]
  }
}
"""
_WARM = {"warm.pspec": _WARM_DSL,
         "warm.pspec.yaml": "version: 1\ntune: 1\nprompts:\n  a:\n    text: '{{ prompt }}'\n"
                            "    sweep:\n      seed: 1..3\n"}


def warm_up() -> None:
    """Lint a small spec of each syntax in memory once, before the editor opens a file, so
    that the first file opened is linted as fast as the next (parsers built, rules loaded)."""
    overlay = api.Overlay()
    # texts in memory only, under the user's own folder: nothing read from a shared path
    folder = os.path.join(private_cache() or os.path.expanduser("~"), "warm-up")
    for name, text in _WARM.items():
        path = os.path.join(folder, name)
        overlay.set(path, text)
        with contextlib.suppress(Exception):  # a warm-up that fails costs nothing
            api.lint([path], overlay=overlay)


def _path(uri: str) -> str | None:
    path = to_fs_path(uri)
    return path if path and OpenSpecs.handles(path) else None


def build() -> SpecServer:
    server = SpecServer()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: SpecServer, params: types.DidOpenTextDocumentParams) -> None:
        doc = params.text_document
        path = _path(doc.uri)
        if path is not None:
            ls.specs.opened(doc.uri, os.path.abspath(path), doc.version, doc.text)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: SpecServer, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        if uri in ls.specs.paths:
            doc = ls.workspace.get_text_document(uri)  # pygls applied the changes already
            ls.specs.changed(uri, params.text_document.version, doc.source)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: SpecServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        if uri in ls.specs.paths:
            ls.specs.closed(uri)
            ls.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched_files(ls: SpecServer, params: types.DidChangeWatchedFilesParams) -> None:
        for change in params.changes:  # a file changed on disk: its importers see it now
            path = to_fs_path(change.uri)
            if path and OpenSpecs.handles(path):
                ls.specs.relint_importers(os.path.abspath(path))

    @server.feature(types.INITIALIZED)
    def initialized(ls: SpecServer, params: types.InitializedParams) -> None:
        asyncio.get_running_loop().call_soon(warm_up)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: SpecServer, params: Any) -> None:
        ls.shut_down = True

    features.register(server)
    actions.register(server)
    return server
