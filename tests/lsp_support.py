"""What the language-server tests share: a real client (pytest-lsp's) driving
`promptspec lsp` over stdio, a project on disk, and a helper that opens, changes and waits
for the diagnostics of a document.

pytest-lsp's own pytest plugin is not loaded (pyproject.toml names the plugins): its
`pytest_runtest_call` wrapper does not yield for test items without `funcargs` (the rule
case files), which fails them. Its client, capabilities and server configuration are used
as they are; `running_client` below does what its fixture does.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from click.testing import CliRunner

from promptspec.cli import cli

if TYPE_CHECKING:
    from lsprotocol import types
    from pytest_lsp import ClientServerConfig, LanguageClient

__all__ = ["Session", "apply_edits", "initialize", "lint_json", "make_project",
           "running_client", "server", "types"]

HERE = Path(__file__).resolve().parent
CONFORMANCE = HERE / "data" / "conformance"


class _Types:
    """`lsprotocol.types`, imported on first use: every worker collects the language-server
    modules, but one runs them (conftest.ONE_WORKER_MODULES), and the import costs ~0.4 s."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # what pytest asks of every module attribute it collects
            raise AttributeError(name)
        from lsprotocol import types as real

        return getattr(real, name)


if not TYPE_CHECKING:
    types = _Types()


def server() -> ClientServerConfig:
    """`promptspec lsp` over stdio, as an editor starts it."""
    from pytest_lsp import ClientServerConfig

    return ClientServerConfig(server_command=[sys.executable, "-m", "promptspec", "lsp"])

PYPROJECT = """[project]
name = "lsp-fixture"

[tool.promptspec]
per-file-ignores = { "ignored_*.pspec" = ["PS101"] }
"""


def make_project(root: Path) -> Path:
    """A project holding the public conformance cases and a pyproject.toml."""
    shutil.copytree(CONFORMANCE, root, dirs_exist_ok=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    return root


async def initialize(client: LanguageClient, root: Path, encodings: list[str] | None = None
                     ) -> None:
    from pytest_lsp import client_capabilities

    caps = client_capabilities("visual-studio-code")
    if encodings is not None:
        caps.general = types.GeneralClientCapabilities(
            position_encodings=[types.PositionEncodingKind(e) for e in encodings])
    await client.initialize_session(types.InitializeParams(
        capabilities=caps, root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="project")]))


@asynccontextmanager
async def running_client(root: Path) -> AsyncIterator[LanguageClient]:
    """A server started over stdio and initialized for `root`; shut down and exited after."""
    from pytest_lsp import LanguageClient

    client = await server().start()
    assert isinstance(client, LanguageClient)
    try:
        await initialize(client, root)
        yield client
        await client.shutdown_session()
    finally:
        await client.stop()


def lint_json(path: Path) -> list[dict[str, Any]]:
    """`promptspec lint --format json PATH`, run as the command line runs it."""
    old = os.getcwd()
    os.chdir(path.parent)
    try:
        r = CliRunner().invoke(cli, ["lint", "--format", "json", path.name])
    finally:
        os.chdir(old)
    assert r.exit_code in (0, 1), r.output
    out: list[dict[str, Any]] = json.loads(r.stdout)
    return out


def _offset(text: str, pos: types.Position) -> int:
    """A UTF-16 protocol position as a string offset."""
    lines = text.splitlines(keepends=True)
    if pos.line >= len(lines):
        return len(text)
    start = sum(len(line) for line in lines[: pos.line])
    units = 0
    for i, ch in enumerate(lines[pos.line]):
        if units >= pos.character:
            return start + i
        units += 2 if ord(ch) > 0xFFFF else 1
    return start + len(lines[pos.line])


def apply_edits(text: str, edits: list[types.TextEdit]) -> str:
    """Apply protocol text edits as an editor does (all against the original text)."""
    spans = sorted(((_offset(text, e.range.start), _offset(text, e.range.end), e.new_text)
                    for e in edits), reverse=True)
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


class Session:
    """One client's open documents, with their versions."""

    def __init__(self, client: LanguageClient) -> None:
        self.client = client
        self.versions: dict[str, int] = {}

    async def _published(self, uri: str) -> list[types.Diagnostic]:
        async def wait() -> None:
            while uri not in self.client.diagnostics:
                await self.client.wait_for_notification(
                    types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        await asyncio.wait_for(wait(), timeout=30)
        return list(self.client.diagnostics[uri])

    async def open(self, path: Path, text: str | None = None) -> list[types.Diagnostic]:
        uri = path.as_uri()
        if text is None:
            text = path.read_text(encoding="utf-8")
        if uri in self.versions:
            self.close(path)
        self.client.diagnostics.pop(uri, None)
        self.versions[uri] = 1
        lang = "yaml" if path.name.endswith((".yaml", ".yml")) else "promptspec"
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id=lang, version=1,
                                                 text=text)))
        return await self._published(uri)

    async def change(self, path: Path, text: str) -> list[types.Diagnostic]:
        uri = path.as_uri()
        self.versions[uri] += 1
        self.client.diagnostics.pop(uri, None)
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri,
                                                                version=self.versions[uri]),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
        return await self._published(uri)

    def forget(self, path: Path) -> None:
        """Drop what was published for `path`, before an action that publishes again."""
        self.client.diagnostics.pop(path.as_uri(), None)

    async def published(self, path: Path) -> list[types.Diagnostic]:
        """The next diagnostics published for `path` after `forget`."""
        return await self._published(path.as_uri())

    def close(self, path: Path) -> None:
        uri = path.as_uri()
        self.versions.pop(uri, None)
        self.client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
