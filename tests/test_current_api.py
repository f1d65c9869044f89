"""The API profiles (section 5b): every parameter of `current` lints clean, the same spec
under `reference` is PS101 exactly where the reference lacks a parameter; `family`, arrays,
`rules` and `schema` follow the profile; the configuration chooses it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptspec.cli import cli
from promptspec.params import Param, table_for

RULE_CASES = Path(__file__).parent / "rule_cases"
NEW_CODES = {"PS110", "PS111", "PS112", "PS210", "PS211", "PS212", "PS213"}

# Parameters that exclude each other (PS206, PS209) or need another (PS203, PS204) go to
# prompts of their own; every other parameter sits in the first prompt.
_GROUPS = [
    {"input_image": 'file("pose.png")', "mask_image": 'file("pose.png")',
     "controlnet": '"pose"', "controlnet_conditioning_scale": "0.5",
     "controlnet_txt2img": "false", "denoising_strength": "0.4"},
    {"input_image_url": '"https://example.com/i.png"',
     "mask_image_url": '"https://example.com/m.png"'},
    {"input_image_base64": '"data:image/png;base64,iVBORw0KGgo="'},
    {"w": "512", "h": "768"},
    {"ar": '"portrait"'},
]
_SPECIAL = {
    "text": '"a lighthouse at dusk --tiled_upscale"', "callback": '"https://example.com/cb"',
    "inpaint_faces": "true", "hires_fix": "true", "super_resolution": "true",
    "use_lpw": "true", "image_references": '[file("pose.png"), file("pose.png")]',
    "image_reference_urls": '["https://example.com/a.png", "https://example.com/b.png"]',
    "video_model": '"kling"', "video_prompt": '"the camera pans"',
}


def _valid(p: Param) -> str:
    if p.name in _SPECIAL:
        return _SPECIAL[p.name]
    if p.kind == "file":
        return 'file("pose.png")'
    if p.kind == "url":
        return f'"https://example.com/{p.name}"'
    if p.kind == "bool":
        return "true"
    if p.kind == "enum":
        return json.dumps((p.choices or ())[0])
    if p.kind in ("int", "float"):
        return str(int(p.minimum or 1) if p.kind == "int" else 0.5)
    return '"a value"'


def every_parameter_spec(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """A spec setting every allowed parameter of `current` validly; name -> line."""
    grouped = {n for g in _GROUPS for n in g}
    lines = ["tune 3618064", ""]
    where: dict[str, int] = {}
    bodies = [{p.name: _valid(p) for p in table_for("current").values()
               if p.allowed and p.name not in grouped and p.name != "aspect_ratio"}]
    bodies[0]["aspect_ratio"] = '"2:3"'
    bodies += [dict(g) for g in _GROUPS]
    for i, body in enumerate(bodies):
        lines.append(f"prompt p{i} {{")
        if "text" not in body:
            lines.append(f'  text = "prompt {i}"')
        for name, value in body.items():
            where[name] = len(lines) + 1
            lines.append(f"  {name} = {value}")
        lines += ["}", ""]
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "t"\n')
    (tmp_path / "pose.png").write_bytes((RULE_CASES / "refs" / "pose.png").read_bytes())
    spec = tmp_path / "every.pspec"
    spec.write_text("\n".join(lines), encoding="utf-8")
    return spec, where


def lint_json(tmp_path: Path, *args: str) -> list[dict[str, object]]:
    r = CliRunner().invoke(cli, ["lint", "--format", "json", "--strict", *args])
    assert r.exit_code in (0, 1), r.output
    found: list[dict[str, object]] = json.loads(r.stdout)
    return found


def test_every_current_parameter_lints_clean(tmp_path: Path) -> None:
    spec, where = every_parameter_spec(tmp_path)
    assert set(where) >= {n for n, p in table_for("current").items() if p.allowed}
    assert lint_json(tmp_path, str(spec)) == []


def test_under_reference_each_missing_parameter_is_ps101(tmp_path: Path) -> None:
    spec, where = every_parameter_spec(tmp_path)
    found = lint_json(tmp_path, "--api", "reference", str(spec))
    missing = set(table_for("current")) - set(table_for("reference"))
    assert {(f["code"], f["line"]) for f in found} == {("PS101", where[n]) for n in missing}


def test_configured_profile_and_command_line_override(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.promptspec]\napi = "reference"\n')
    (tmp_path / "a.pspec").write_text('tune 7\nprompt a {\n  text = "x --nope"\n'
                                      '  resolution = "2K"\n}\n')
    codes = [f["code"] for f in lint_json(tmp_path, "a.pspec")]
    assert codes == ["PS101"]  # no flag rule under reference
    codes = [f["code"] for f in lint_json(tmp_path, "--api", "current", "a.pspec")]
    assert codes == ["PS110"]
    (tmp_path / "pyproject.toml").write_text('[tool.promptspec]\napi = "2023"\n')
    r = CliRunner().invoke(cli, ["lint", "a.pspec"])
    assert r.exit_code == 2 and "api must be one of" in r.stderr


def test_rules_and_schema_follow_the_profile(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    codes = {x["code"] for x in json.loads(CliRunner().invoke(
        cli, ["rules", "--format", "json"]).stdout)}
    assert codes >= NEW_CODES
    ref = {x["code"] for x in json.loads(CliRunner().invoke(
        cli, ["rules", "--format", "json", "--api", "reference"]).stdout)}
    assert ref == codes - NEW_CODES
    assert CliRunner().invoke(cli, ["rules", "PS110", "--api", "reference"]).exit_code == 2
    current = json.loads(CliRunner().invoke(cli, ["schema"]).stdout)
    reference = json.loads(CliRunner().invoke(cli, ["schema", "--api", "reference"]).stdout)
    prompt = current["definitions"]["prompt"]["properties"]
    assert "resolution" in prompt and "family" in prompt and "family" in current["properties"]
    assert prompt["image_reference_urls"]["anyOf"][0]["type"] == "array"
    assert "resolution" not in reference["definitions"]["prompt"]["properties"]
    assert "family" in reference["definitions"]["prompt"]["properties"]


def test_family_is_never_sent_and_not_in_the_id(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "t"\n')
    plain = tmp_path / "plain.pspec"
    plain.write_text('tune 7\nprompt a {\n  text = "x"\n}\n')
    dsl = tmp_path / "fam.pspec"
    dsl.write_text('tune 7\nfamily "flux"\nprompt a {\n  family = "sdxl"\n  text = "x"\n}\n')
    yml = tmp_path / "fam.pspec.yaml"
    yml.write_text("tune: 7\nfamily: flux\nprompts:\n  a:\n    family: sdxl\n    text: x\n")
    lines = []
    for spec in (plain, dsl, yml):
        r = CliRunner().invoke(cli, ["expand", str(spec)])
        assert r.exit_code == 0, r.output
        lines.append(json.loads(r.stdout))
    assert len({line["id"] for line in lines}) == 1
    assert all("family" not in line["params"] for line in lines)
    fmt = CliRunner().invoke(cli, ["convert", str(dsl), "--to", "yaml"])
    assert "family: flux" in fmt.stdout and "    family: sdxl" in fmt.stdout


def test_array_parameter_in_curl_and_as_a_single_value(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "t"\n')
    (tmp_path / "pose.png").write_bytes(b"\x89PNG\r\n")
    spec = tmp_path / "a.pspec"
    spec.write_text('tune 7\nprompt a {\n  text = "x"\n  image_reference_urls = '
                    '["https://e.com/1.png", "https://e.com/2.png"]\n'
                    '  image_references = [file("pose.png"), file("pose.png")]\n}\n')
    r = CliRunner().invoke(cli, ["expand", str(spec), "--format", "curl"])
    assert r.exit_code == 0, r.output
    parts = [ln.strip().rstrip("\\").strip() for ln in r.stdout.splitlines()]
    assert parts[2:4] == ["-F 'prompt[image_reference_urls][]=https://e.com/1.png'",
                          "-F 'prompt[image_reference_urls][]=https://e.com/2.png'"]
    uploads = [p for p in parts if p.startswith("-F 'prompt[image_references][]=@")]
    assert len(uploads) == 2
    spec.write_text('tune 7\nprompt a {\n  text = "x"\n'
                    '  image_reference_urls = "https://e.com/1.png"\n}\n')
    found = lint_json(tmp_path, str(spec))
    assert [(f["code"], f["line"]) for f in found] == [("PS102", 4)]


def test_runner_sends_array_items_as_repeated_parts() -> None:
    from promptspec.runner._wire import file_part_name, form_fields

    fields = form_fields({"text": "x", "image_reference_urls": ["a", "b"], "seed": 1})
    assert fields == {"prompt[text]": "x", "prompt[image_reference_urls][]": ["a", "b"],
                      "prompt[seed]": "1"}
    assert file_part_name("image_references[1]") == "prompt[image_references][]"
    assert file_part_name("input_image") == "prompt[input_image]"


def test_each_family_has_an_example_spec_that_lints_clean(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    from promptspec.params.flags import FAMILIES

    root = Path(__file__).resolve().parents[1]
    monkeypatch.chdir(root)
    examples = sorted((root / "specs" / "families").iterdir())
    assert sorted(p.name.split(".")[0] for p in examples) == sorted(FAMILIES)
    r = CliRunner().invoke(cli, ["lint", "--strict", "specs"])
    assert r.exit_code == 0 and r.stdout == "", r.output


def test_run_sends_arrays_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from promptspec.emulator import start_emulator

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ASTRIA_API_KEY", "k")
    monkeypatch.setenv("PROMPTSPEC_POLL_START", "0.05")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "t"\n')
    (tmp_path / "a.png").write_bytes(b"first")
    (tmp_path / "b.png").write_bytes(b"second")
    (tmp_path / "s.pspec").write_text(
        'tune 3618064\nprompt p {\n  text = "x"\n  image_references = [file("b.png"), '
        'file("a.png")]\n  image_reference_urls = ["https://e.com/2.png", "https://e.com/1.png"]'
        "\n}\n")
    with start_emulator() as emu:
        r = CliRunner().invoke(cli, ["run", "s.pspec", "--base-url", emu.url, "--yes"])
        assert r.exit_code == 0, r.output
        (record,) = emu.state.prompts
    assert record.params["image_reference_urls"] == ["https://e.com/2.png", "https://e.com/1.png"]
    assert [record.uploads[f"image_references[{i}]"].data for i in (0, 1)] == [b"second",
                                                                               b"first"]


def test_a_sweep_over_an_array_parameter_sends_a_list_per_point(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "t"\n')
    (tmp_path / "a.png").write_bytes(b"a")
    dsl = tmp_path / "s.pspec"
    dsl.write_text('tune 7\nprompt p {\n  text = "x"\n  sweep {\n    image_references = '
                   '[[file("a.png"), file("a.png")], [file("a.png")]]\n'
                   '    image_reference_urls = [["https://e.com/1.png"], []]\n  }\n}\n')
    yml = tmp_path / "s.pspec.yaml"
    yml.write_text("tune: 7\nprompts:\n  p:\n    text: x\n    sweep:\n      image_references: "
                   "[[{file: a.png}, {file: a.png}], [{file: a.png}]]\n"
                   '      image_reference_urls: [["https://e.com/1.png"], []]\n')
    out = []
    for spec in (dsl, yml):
        r = CliRunner().invoke(cli, ["expand", str(spec)])
        assert r.exit_code == 0, r.output
        out.append([json.loads(line) for line in r.stdout.splitlines()])
    assert [x["id"] for x in out[0]] == [x["id"] for x in out[1]]
    assert [len(x["params"]["image_references"]) for x in out[0]] == [2, 2, 1, 1]
    assert [x["params"]["image_reference_urls"] for x in out[0]] == [
        ["https://e.com/1.png"], [], ["https://e.com/1.png"], []]
    curl = CliRunner().invoke(cli, ["expand", str(dsl), "--format", "curl"]).stdout
    commands = curl.split("curl -X POST")[1:]
    assert [c.count("prompt[image_references][]=@") for c in commands] == [2, 2, 1, 1]


@pytest.mark.parametrize("code", sorted(NEW_CODES))
def test_new_rule_examples_behave_in_both_syntaxes(code: str, tmp_path: Path) -> None:
    from promptspec.format.convert import convert_text
    from promptspec.lint.rules import RULES, check
    from promptspec.resolve import resolve

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "t"\n')
    rule = RULES[code]
    for kind, text in (("bad", rule.bad), ("good", rule.good)):
        for syntax in ("dsl", "yaml"):
            path = tmp_path / f"{kind}.pspec{'.yaml' if syntax == 'yaml' else ''}"
            source = text if syntax == "dsl" else convert_text(text, "example.pspec", "yaml")
            path.write_text(source, encoding="utf-8")
            codes = {d.code for d in check(resolve(str(path)))}
            assert (code in codes) == (kind == "bad"), (kind, syntax, source, codes)
            assert not codes & {"PS001", "PS007"}, source


def test_scanning_crafted_texts_is_linear() -> None:
    """Counted in work, not time: a long number that fails, and unclosed tokens, are judged
    by a scan whose regular expressions cannot backtrack quadratically."""
    from promptspec.params.flags import _NUMBER, scan

    assert _NUMBER.fullmatch("1" * 10 + "x") is None and _NUMBER.fullmatch("-1.5")
    found = scan("<lora:" * 3 + " --resemblance " + "1" * 50 + "x")
    assert [p.code for p in found.problems] == ["PS111", "PS112", "PS112", "PS112"]
