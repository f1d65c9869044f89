"""`promptspec lsp` diagnostics, end to end: a real client drives the server over stdio.

Diagnostics equal `promptspec lint --format json` for every public conformance case (codes,
places, severities), follow the editor's unsaved text, the configuration and suppressions,
count positions in UTF-16 code units, and re-lint the open files that import a changed one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio

from tests.lsp_support import CONFORMANCE, Session, lint_json, make_project, running_client, types

if TYPE_CHECKING:
    from pytest_lsp import LanguageClient

pytestmark = pytest.mark.asyncio(loop_scope="module")

CASES = sorted(p.relative_to(CONFORMANCE).as_posix() for p in CONFORMANCE.rglob("*")
               if p.name.endswith((".pspec", ".pspec.yaml", ".pspec.yml")))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("lsp-diagnostics"))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(project: Path) -> AsyncIterator[LanguageClient]:
    async with running_client(project) as started:
        yield started


def _shown(diags: list[types.Diagnostic]) -> list[tuple[str, int, int, int, int, str]]:
    sev = {types.DiagnosticSeverity.Error: "error", types.DiagnosticSeverity.Warning: "warning"}
    return sorted((str(d.code), d.range.start.line + 1, d.range.start.character + 1,
                   d.range.end.line + 1, d.range.end.character + 1, sev[d.severity])
                  for d in diags if d.severity is not None)


def _linted(path: Path) -> list[tuple[str, int, int, int, int, str]]:
    return sorted((f["code"], f["line"], f["column"], f["end_line"], f["end_column"],
                   f["severity"]) for f in lint_json(path))


@pytest.mark.parametrize("case", CASES)
async def test_diagnostics_equal_lint_json(client: LanguageClient, project: Path,
                                           case: str) -> None:
    path = project / case
    diags = await Session(client).open(path)
    want = _linted(path)
    assert _shown(diags) == want
    assert all(d.source == "promptspec" for d in diags)
    if case.startswith("rules_"):
        assert want  # the rule cases do find something: the comparison is not vacuous


async def test_codes_link_to_their_explanation(client: LanguageClient, project: Path) -> None:
    from pygls.uris import to_fs_path

    diags = await Session(client).open(project / "rules_params.pspec")
    for d in diags:
        assert d.code_description is not None
        explained = Path(to_fs_path(d.code_description.href) or "").read_text()
        assert explained.startswith(f"# {d.code} ")


async def test_unsaved_text_and_clean_file(client: LanguageClient, project: Path) -> None:
    path = project / "scratch.pspec"  # never written to disk
    s = Session(client)
    diags = await s.open(path, 'tune 7\nprompt a {\n  text = "a fox"\n  stepz = 3\n}\n')
    assert [(d.code, d.range.start.line) for d in diags] == [("PS101", 3)]
    assert await s.change(path, 'tune 7\nprompt a {\n  text = "a fox"\n  steps = 3\n}\n') == []
    broken = await s.change(path, 'tune 7\nprompt a {\n  text = "a fox\n')
    assert [d.code for d in broken] == ["PS001"]
    s.close(path)


async def test_configuration_and_suppressions(client: LanguageClient, project: Path) -> None:
    text = ('tune 7\nprompt a {\n  text = "a fox"\n  stepz = 3\n'
            '  w = 500  # promptspec: ignore[PS105]\n}\n')
    s = Session(client)
    ignored = project / "ignored_here.pspec"
    ignored.write_text(text)
    assert await s.open(ignored) == []  # per-file-ignores PS101; the comment ignores PS105
    plain = project / "plain.pspec"
    plain.write_text(text)
    assert [d.code for d in await s.open(plain)] == ["PS101"]
    assert _shown(client.diagnostics[plain.as_uri()]) == _linted(plain)


async def test_positions_count_utf16_code_units(client: LanguageClient, project: Path) -> None:
    path = project / "emoji.pspec.yaml"
    text = 'version: 1\ntune: 7\nprompts:\n  a: {text: "🦊🦊", stepz: 3}\n'
    path.write_text(text, encoding="utf-8")
    diags = await Session(client).open(path)
    (d,) = diags
    linted = lint_json(path)[0]
    # two foxes are two code points to lint, four UTF-16 code units to the protocol
    assert d.range.start.character == linted["column"] - 1 + 2
    assert text.splitlines()[3][linted["column"] - 1:].startswith("stepz")


async def test_files_that_import_a_changed_file_are_linted_again(
        client: LanguageClient, project: Path) -> None:
    base = project / "lib" / "base.pspec"
    base.parent.mkdir(exist_ok=True)
    base.write_text("preset soft {\n  cfg_scale = 5\n}\n")
    user = project / "user.pspec.yaml"
    user.write_text("version: 1\nimports: [lib/base.pspec]\ntune: 7\nprompts:\n"
                    "  a:\n    extends: soft\n    text: a fox\n")
    s = Session(client)
    assert await s.open(user) == []
    s.forget(user)
    await s.open(base)
    assert await s.published(user) == []  # opening an imported file lints its importers
    s.forget(user)
    await s.change(base, "preset sharp {\n  cfg_scale = 5\n}\n")  # unsaved rename
    assert [d.code for d in await s.published(user)] == ["PS004"]
    s.forget(user)
    s.close(base)  # back to the file on disk
    assert await s.published(user) == []
    s.forget(user)
    base.write_text("preset sharpened {\n  cfg_scale = 5\n}\n")  # changed by another program
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=base.as_uri(), type=types.FileChangeType.Changed)]))
    assert [d.code for d in await s.published(user)] == ["PS004"]


async def test_lines_are_counted_as_the_protocol_counts_them(
        client: LanguageClient, project: Path) -> None:
    """YAML counts U+2028 as a line break, the protocol does not: the place is the same."""
    path = project / "breaks.pspec.yaml"
    text = 'version: 1\ntune: 7\nprompts:\n  a: {text: "x\u2028y", stepz: 3}\n'
    path.write_text(text, encoding="utf-8")
    (d,) = await Session(client).open(path)
    assert lint_json(path)[0]["line"] == 5  # lint's own count
    line = text.split("\n")[3]
    assert (d.range.start.line, d.range.start.character) == (3, line.index("stepz"))
    assert d.range.end.character == line.index("stepz") + len("stepz")


async def test_an_invalid_configuration_is_one_diagnostic(client: LanguageClient,
                                                          project: Path) -> None:
    folder = project / "badcfg"
    folder.mkdir()
    (folder / "pyproject.toml").write_text('[tool.promptspec]\nmax-requests = "many"\n')
    path = folder / "a.pspec"
    path.write_text('tune 7\nprompt a {\n  text = "a fox"\n}\n')
    (d,) = await Session(client).open(path)
    assert d.severity == types.DiagnosticSeverity.Error and d.range.start.line == 0
    assert str(folder / "pyproject.toml") in d.message and "max-requests" in d.message


async def test_an_unsaved_new_file_can_be_imported(client: LanguageClient,
                                                   project: Path) -> None:
    lib = project / "unsaved_lib.pspec"  # open in the editor, never written
    user = project / "unsaved_user.pspec"
    text = 'import "unsaved_lib.pspec"\ntune 7\nprompt a : glow {\n  text = "a fox"\n}\n'
    s = Session(client)
    assert [d.code for d in await s.open(user, text)] == ["PS003", "PS004"]
    s.forget(user)
    await s.open(lib, "preset glow {\n  cfg_scale = 5\n}\n")
    assert await s.published(user) == []
    assert not lib.exists()
