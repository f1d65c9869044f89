"""`promptspec lsp` features in both syntaxes, end to end over stdio: hover, completion,
go to definition, document symbols, formatting, code actions and inlay hints."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio
from click.testing import CliRunner

from promptspec.cli import cli
from tests.lsp_support import Session, apply_edits, make_project, running_client, types

if TYPE_CHECKING:
    from pytest_lsp import LanguageClient

pytestmark = pytest.mark.asyncio(loop_scope="module")

LIB = "preset crisp {\n  super_resolution = true\n}\n"

DSL = '''import "lib.pspec"

tune 7

vars {
  animal = "fox"
}

preset soft {
  cfg_scale = 5
}

prompt a : soft, crisp {
  text = "a {{ animal }} in {{ season }}"
  num_images = 4
  vars { season = "winter" }
  sweep {
    seed = 1..3
    steps = [20, 30]
  }
}
'''

YAML = '''version: 1
imports: [lib.pspec]
tune: 7
vars:
  animal: fox
presets:
  soft:
    cfg_scale: 5
prompts:
  a:
    extends: [soft, crisp]
    text: "a {{ animal }} in {{ season }}"
    vars: {season: winter}
    sweep:
      num_images: [1, 2]
      seed: 1..3
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(tmp_path_factory.mktemp("lsp-features"))
    (root / "lib.pspec").write_text(LIB)
    (root / "a.pspec").write_text(DSL)
    (root / "a.pspec.yaml").write_text(YAML)
    return root


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(project: Path) -> AsyncIterator[LanguageClient]:
    async with running_client(project) as started:
        yield started


def _doc(path: Path) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=path.as_uri())


def _at(text: str, needle: str, offset: int = 0) -> types.Position:
    """The position of `needle` (plus `offset` characters) in an ASCII text."""
    i = text.index(needle) + offset
    line = text.count("\n", 0, i)
    return types.Position(line=line, character=i - (text.rfind("\n", 0, i) + 1))


async def _hover(client: LanguageClient, path: Path, pos: types.Position) -> str | None:
    h = await client.text_document_hover_async(types.HoverParams(
        text_document=_doc(path), position=pos))
    if h is None:
        return None
    assert isinstance(h.contents, types.MarkupContent)
    return h.contents.value


async def _complete(client: LanguageClient, path: Path, text: str,
                    pos: types.Position) -> list[types.CompletionItem]:
    s = Session(client)
    await s.open(path, text)
    got = await client.text_document_completion_async(types.CompletionParams(
        text_document=_doc(path), position=pos))
    s.close(path)
    assert isinstance(got, types.CompletionList)
    return got.items


# -- hover --------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "text", "needle"), [
    ("a.pspec", DSL, "cfg_scale = 5"), ("a.pspec.yaml", YAML, "cfg_scale: 5")])
async def test_hover_on_a_parameter(client: LanguageClient, project: Path, name: str,
                                    text: str, needle: str) -> None:
    path = project / name
    await Session(client).open(path, text)
    shown = await _hover(client, path, _at(text, needle, 2))
    assert shown is not None and "**cfg_scale**" in shown and "0-15" in shown
    assert "diffusion follows the text" in shown
    assert await _hover(client, path, _at(text, "fox", 1)) is None


@pytest.mark.parametrize("name", ["s.pspec", "s.pspec.yaml"])
async def test_hover_on_a_rule_code_in_a_suppression(client: LanguageClient, project: Path,
                                                     name: str) -> None:
    text = ('tune 7\nprompt a {\n  text = "a fox"\n'
            "  w = 500  # promptspec: ignore[PS303, PS105]\n}\n"
            if name.endswith(".pspec") else
            "version: 1\ntune: 7\nprompts:\n  a:\n    text: a fox\n"
            "    w: 500  # promptspec: ignore[PS303, PS105]\n")
    path = project / name
    await Session(client).open(path, text)
    shown = await _hover(client, path, _at(text, "PS105", 3))
    assert shown is not None and "PS105" in shown and "not-multiple-of-8" in shown


# -- completion ---------------------------------------------------------------------------


def _labels(items: list[types.CompletionItem]) -> set[str]:
    return {i.label for i in items}


@pytest.mark.parametrize(("name", "text", "after"), [
    ("c.pspec", 'tune 7\nprompt a {\n  text = "x"\n  sch\n}\n', "  sch"),
    ("c.pspec.yaml", "version: 1\ntune: 7\nprompts:\n  a:\n    text: x\n    sch\n", "    sch"),
])
async def test_completion_of_parameter_names_and_keys(
        client: LanguageClient, project: Path, name: str, text: str, after: str) -> None:
    items = await _complete(client, project / name, text, _at(text, after, len(after)))
    labels = _labels(items)
    assert {"scheduler", "steps", "seed", "text", "tune", "vars", "sweep", "zip",
            "family"} <= labels
    assert ("extends" in labels) == name.endswith(".yaml")


@pytest.mark.parametrize(("name", "line", "quoted"), [
    ("c.pspec", '  scheduler = ', False), ("c.pspec", '  scheduler = "eu', True),
    ("c.pspec.yaml", "    scheduler: ", False), ("c.pspec.yaml", "    scheduler: 'eu", True),
])
async def test_completion_of_enum_choices(client: LanguageClient, project: Path, name: str,
                                          line: str, quoted: bool) -> None:
    head = ('tune 7\nprompt a {\n  text = "x"\n' if name.endswith(".pspec")
            else "version: 1\ntune: 7\nprompts:\n  a:\n    text: x\n")
    text = head + line + "\n"
    items = await _complete(client, project / name, text, _at(text, line, len(line)))
    by_label = {i.label: i for i in items}
    assert {"euler", "euler_a", "dpm++2m_karras"} <= set(by_label)
    assert by_label["euler"].insert_text == ("euler" if quoted else '"euler"')


@pytest.mark.parametrize(("name", "line"), [
    ("a.pspec", "prompt a : soft, "), ("a.pspec.yaml", "    extends: [soft, ")])
async def test_completion_of_preset_names_across_imports(
        client: LanguageClient, project: Path, name: str, line: str) -> None:
    path = project / name
    text = (DSL if name.endswith(".pspec") else YAML)
    await Session(client).open(path, text)  # a parse to take names from
    broken = text.replace(line + "crisp", line)
    items = await _complete(client, path, broken, _at(broken, line, len(line)))
    assert {"soft", "crisp"} <= _labels(items)


@pytest.mark.parametrize(("name", "text"), [("a.pspec", DSL), ("a.pspec.yaml", YAML)])
async def test_completion_inside_a_template(client: LanguageClient, project: Path,
                                            name: str, text: str) -> None:
    path = project / name
    await Session(client).open(path, text)
    edited = text.replace("{{ season }}", "{{ se")
    labels = _labels(await _complete(client, path, edited, _at(edited, "{{ se", 5)))
    assert {"animal", "season", "seed", "cfg_scale", "prompt"} <= labels


@pytest.mark.parametrize(("name", "text", "after", "want", "unwanted"), [
    ("t.pspec", "tune 7\npr\n", "pr", {"import", "tune", "vars", "preset", "prompt"}, {"seed"}),
    ("t.pspec.yaml", "version: 1\npr\n", "pr", {"imports", "presets", "prompts"}, {"seed"}),
    ("t.pspec", 'tune 7\nvars {\n  who = "x"\n}\nprompt a {\n  text = "{{ who }}"\n'
                "  sweep {\n    w\n  }\n}\n", "    w", {"who", "w", "seed"}, {"sweep"}),
    ("t.pspec.yaml", "version: 1\ntune: 7\nvars:\n  who: x\nprompts:\n  a:\n"
                     '    text: "{{ who }}"\n    sweep:\n      w\n', "      w",
     {"who", "w", "seed"}, {"sweep"}),
    ("t.pspec", 'tune 7\nprompt a {\n  text = "x"\n  face_correct = \n}\n',
     "face_correct = ", {"true", "false"}, {"seed"}),
    ("t.pspec", 'tune 7\nprompt a {\n  text = "x"\n  family = \n}\n',
     "family = ", {"flux", "sdxl", "gpt-image"}, {"seed"}),
    ("t.pspec.yaml", "version: 1\ntune: 7\nprompts:\n  a:\n    text: x\n    family: \n",
     "family: ", {"flux", "sdxl", "gpt-image"}, {"seed"}),
])
async def test_completion_by_place(client: LanguageClient, project: Path, name: str,
                                   text: str, after: str, want: set[str],
                                   unwanted: set[str]) -> None:
    if "who" in want:  # names come from the last text that parsed, as while typing
        await Session(client).open(project / name, text.replace(after + "\n", after + (
            " = [8]\n" if name.endswith(".pspec") else ": [8]\n")))
    labels = _labels(await _complete(client, project / name, text,
                                     _at(text, after, len(after))))
    assert want <= labels and not unwanted & labels


# -- go to definition ---------------------------------------------------------------------


async def _definition(client: LanguageClient, path: Path, pos: types.Position
                      ) -> list[types.Location]:
    got = await client.text_document_definition_async(types.DefinitionParams(
        text_document=_doc(path), position=pos))
    assert isinstance(got, list)
    return [g for g in got if isinstance(g, types.Location)]


@pytest.mark.parametrize(("name", "text", "use"), [
    ("a.pspec", DSL, "soft, crisp {"), ("a.pspec.yaml", YAML, "[soft, crisp]")])
async def test_definition_of_presets_vars_and_imports(
        client: LanguageClient, project: Path, name: str, text: str, use: str) -> None:
    path = project / name
    await Session(client).open(path, text)
    (crisp,) = await _definition(client, path, _at(text, use, use.index("crisp") + 1))
    assert crisp.uri == (project / "lib.pspec").as_uri()
    assert crisp.range.start == types.Position(line=0, character=7)
    (soft,) = await _definition(client, path, _at(text, use, 1))
    assert soft.uri == path.as_uri() and soft.range.start == _at(text, "soft")
    (animal,) = await _definition(client, path, _at(text, "{{ animal", 4))
    assert animal.uri == path.as_uri() and animal.range.start == _at(text, "animal")
    (season,) = await _definition(client, path, _at(text, "{{ season", 5))
    assert season.range.start == _at(text, "season: winter" if name.endswith(".yaml")
                                     else 'season = "winter"')
    (lib,) = await _definition(client, path, _at(text, "lib.pspec", 2))
    assert lib.uri == (project / "lib.pspec").as_uri()


# -- symbols, formatting --------------------------------------------------------------------


@pytest.mark.parametrize(("name", "text"), [("a.pspec", DSL), ("a.pspec.yaml", YAML)])
async def test_document_symbols(client: LanguageClient, project: Path, name: str,
                                text: str) -> None:
    path = project / name
    await Session(client).open(path, text)
    got = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=_doc(path)))
    assert got is not None
    shown = [(s.name, s.detail, s.selection_range.start) for s in got
             if isinstance(s, types.DocumentSymbol)]
    assert shown == [("soft", "preset", _at(text, "soft")),
                     ("a", "prompt", _at(text, "a :" if name.endswith(".pspec") else "a:\n"))]


async def test_formatting_equals_fmt(client: LanguageClient, project: Path) -> None:
    messy = ('import   "lib.pspec"\ntune 7\nprompt a:crisp{\n    text="a fox"  # keep\n'
             '  sweep { seed = [1,2,\n 3] }\n}\n')
    path = project / "messy.pspec"
    path.write_text(messy)
    await Session(client).open(path)
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(
        text_document=_doc(path), options=types.FormattingOptions(tab_size=2,
                                                                  insert_spaces=True)))
    assert edits
    r = CliRunner().invoke(cli, ["fmt", str(path)])
    assert r.exit_code == 0, r.output
    assert apply_edits(messy, edits) == path.read_text() != messy
    yaml_path = project / "a.pspec.yaml"
    await Session(client).open(yaml_path, YAML.replace("  soft:", "  soft:   "))
    assert not await client.text_document_formatting_async(types.DocumentFormattingParams(
        text_document=_doc(yaml_path), options=types.FormattingOptions(tab_size=2,
                                                                       insert_spaces=True)))


# -- code actions ---------------------------------------------------------------------------


async def _actions(client: LanguageClient, path: Path, diags: list[types.Diagnostic],
                   only: list[types.CodeActionKind] | None = None) -> list[types.CodeAction]:
    whole = types.Range(start=types.Position(line=0, character=0),
                        end=types.Position(line=10_000, character=0))
    got = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=_doc(path), range=whole,
        context=types.CodeActionContext(diagnostics=diags, only=only)))
    return [a for a in got or [] if isinstance(a, types.CodeAction)]


def _edited(action: types.CodeAction, path: Path, text: str) -> str:
    assert action.edit is not None and action.edit.changes is not None
    return apply_edits(text, list(action.edit.changes[path.as_uri()]))


FIXABLE = {
    "f.pspec": 'tune 7\nprompt a {\n  text = "a fox"  # a note\n  scheduler = "Euler"\n'
               '  w = 500\n  inpaint_faces = true\n  aspect_ratio = "1:1"\n}\n',
    "f.pspec.yaml": "version: 1\ntune: 7\nprompts:\n  a:\n    text: a fox  # a note\n"
                    "    scheduler: Euler\n    w: 500\n    inpaint_faces: true\n"
                    '    aspect_ratio: "1:1"\n',
}


@pytest.mark.parametrize("name", sorted(FIXABLE))
async def test_each_code_action_removes_its_finding(client: LanguageClient, project: Path,
                                                    name: str) -> None:
    path, text = project / name, FIXABLE[name]
    s = Session(client)
    diags = await s.open(path, text)
    codes = sorted(str(d.code) for d in diags)
    assert codes == ["PS104", "PS105", "PS201", "PS209"]
    actions = await _actions(client, path, diags)
    titles = [a.title for a in actions]
    for code in codes:
        assert f"Ignore {code} on this line" in titles
    assert "Fix PS105 (not-multiple-of-8): 504" in titles
    fixes = [a for a in actions if a.kind == types.CodeActionKind.QuickFix
             and a.title.startswith("Fix ")]
    assert sorted(str(a.diagnostics[0].code) for a in fixes if a.diagnostics) == [
        "PS104", "PS105", "PS201"]
    for action in actions:
        if action.kind != types.CodeActionKind.QuickFix:
            continue
        assert action.diagnostics
        code = action.diagnostics[0].code
        after = await s.change(path, _edited(action, path, text))
        assert code not in {d.code for d in after}, action.title
        assert len(after) == len(diags) - 1, action.title
        await s.change(path, text)
    (fix_all,) = await _actions(client, path, diags, [types.CodeActionKind.SourceFixAll])
    fixed = _edited(fix_all, path, text)
    on_disk = project / ("fixed_" + name)
    on_disk.write_text(text)
    r = CliRunner().invoke(cli, ["lint", "--fix", str(on_disk)])
    assert r.exit_code == 0, r.output  # PS209 is a warning
    assert fixed == on_disk.read_text() != text
    assert [d.code for d in await s.change(path, fixed)] == ["PS209"]


IGNORE_CASES = {
    "i.pspec": ('tune 7\nprompt a {\n  text = "a fox"\n  w = 500  # promptspec: ignore[PS303]\n}\n',
                'tune 7\nprompt a {\n  text = """\n    a {{ nope }}\n  """\n}\n'),
    "i.pspec.yaml": ("version: 1\ntune: 7\nprompts:\n  a:\n    text: a fox\n"
                     "    w: 500  # promptspec: ignore[PS303]\n",
                     "version: 1\ntune: 7\nprompts:\n  a:\n    text: |\n      a {{ nope }}\n"),
}


@pytest.mark.parametrize("name", sorted(IGNORE_CASES))
async def test_ignore_extends_an_existing_comment(client: LanguageClient, project: Path,
                                                  name: str) -> None:
    path = project / name
    text, multi = IGNORE_CASES[name]
    s = Session(client)
    diags = await s.open(path, text)
    (ignore,) = [a for a in await _actions(client, path, diags) if "Ignore" in a.title]
    ignored = _edited(ignore, path, text)
    assert "# promptspec: ignore[PS303, PS105]" in ignored
    assert await s.change(path, ignored) == []
    # inside a multi-line string a comment would be text: no "ignore" there
    diags = await s.change(path, multi)
    assert [d.code for d in diags] == ["PS302"]
    assert not [a for a in await _actions(client, path, diags) if "Ignore" in a.title]


# -- inlay hints ----------------------------------------------------------------------------


async def _hints(client: LanguageClient, path: Path) -> list[tuple[int, str]]:
    got = await client.text_document_inlay_hint_async(types.InlayHintParams(
        text_document=_doc(path), range=types.Range(
            start=types.Position(line=0, character=0),
            end=types.Position(line=10_000, character=0))))
    return [(h.position.line, str(h.label)) for h in got or []]


@pytest.mark.parametrize(("name", "text", "label"), [
    ("a.pspec", DSL, "6 requests · 24 images"), ("a.pspec.yaml", YAML, "6 requests · 9 images")])
async def test_inlay_hints_count_requests_and_images(
        client: LanguageClient, project: Path, name: str, text: str, label: str) -> None:
    path = project / name
    s = Session(client)
    await s.open(path, text)
    line = _at(text, "a :" if name.endswith(".pspec") else "  a:\n").line
    assert await _hints(client, path) == [(line, label)]
    big = text.replace("seed = 1..3", "seed = 0..999999").replace("seed: 1..3",
                                                                   "seed: 0..999999")
    await s.change(path, big)
    assert [h for _, h in await _hints(client, path)] == [
        label.replace("6 requests", "2,000,000 requests").replace(
            "24 images", "8,000,000 images").replace("9 images", "3,000,000 images")]
    await s.change(path, text.replace("1..3", "3..1 step 1"))  # PS407
    assert await _hints(client, path) == []
    await s.change(path, text.replace("1..3", "[]"))  # PS402
    assert await _hints(client, path) == []
    await s.change(path, text + "prompt {\n" if name.endswith(".pspec") else text + "  - :\n")
    assert await _hints(client, path) == []  # PS001


async def test_one_request_one_image(client: LanguageClient, project: Path) -> None:
    path = project / "one.pspec"
    await Session(client).open(path, 'tune 7\nprompt a {\n  text = "a fox"\n}\n')
    assert await _hints(client, path) == [(1, "1 request · 1 image")]


# -- text flags and the API profile --------------------------------------------------------


@pytest.mark.parametrize(("name", "text"), [
    ("fl.pspec", 'tune 7\nprompt a {\n  text = "a fox --tiled_upscale --mask_pr"\n}\n'),
    ("fl.pspec.yaml", "version: 1\ntune: 7\nprompts:\n  a:\n"
                      "    text: a fox --tiled_upscale --mask_pr\n"),
])
async def test_flags_in_text_hover_and_complete(client: LanguageClient, project: Path,
                                                name: str, text: str) -> None:
    path = project / name
    await Session(client).open(path, text)
    shown = await _hover(client, path, _at(text, "--tiled_upscale", 4))
    assert shown is not None and "**--tiled_upscale**" in shown and "Upscale in tiles" in shown
    items = await _complete(client, path, text, _at(text, "--mask_pr", len("--mask_pr")))
    assert {"mask_prompt", "mask_negative", "outpaint", "tiled_upscale_v2"} <= _labels(items)


@pytest.mark.parametrize(("name", "text"), [
    ("fm.pspec", 'tune 7\nprompt a {\n  text = """\n    a fox\n    --outp\n  """\n}\n'),
    ("fm.pspec.yaml", "version: 1\ntune: 7\nprompts:\n  a:\n    text: |\n      a fox\n"
                      "      --outp\n"),
])
async def test_flags_complete_in_multi_line_text(client: LanguageClient, project: Path,
                                                 name: str, text: str) -> None:
    items = await _complete(client, project / name, text, _at(text, "--outp", 6))
    assert {"outpaint", "outpaint_width"} <= _labels(items)


async def test_parameters_follow_the_profile(client: LanguageClient, project: Path) -> None:
    text = 'tune 7\nprompt a {\n  text = "x"\n  reso\n}\n'
    current = _labels(await _complete(client, project / "p.pspec", text,
                                      _at(text, "reso", 4)))
    legacy = project / "legacy"
    legacy.mkdir()
    (legacy / "pyproject.toml").write_text('[tool.promptspec]\napi = "reference"\n')
    reference = _labels(await _complete(client, legacy / "p.pspec", text,
                                        _at(text, "reso", 4)))
    assert "resolution" in current and "resolution" not in reference
    assert "super_resolution" in current & reference
