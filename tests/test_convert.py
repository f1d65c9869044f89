"""`promptspec convert`: both directions keep request ids, value types and comments."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import expand_lines, invoke_in, write
from conftest import invoke as run_cli

from promptspec import api
from promptspec.errors import SpecError
from promptspec.format.convert import convert_text
from promptspec.model import ListValue, Literal, RangeValue
from promptspec.syntax.yaml.document import parse_yaml

CONTRACT = Path(__file__).parent / "data" / "conformance"


def ids_of(path: Path) -> list[str]:
    return [r.id for r in api.expand([str(path)])]


@pytest.fixture()
def contract(tmp_path: Path) -> Path:
    for item in CONTRACT.glob("contract_example.*"):
        shutil.copy(item, tmp_path / item.name)
    presets = tmp_path / "presets"
    presets.mkdir()
    (presets / "common.pspec").write_text("vars {\n  unused_here = 1\n}\n")
    return tmp_path


@pytest.mark.parametrize(
    ("source", "to", "target"),
    [
        ("contract_example.pspec", "yaml", "out.pspec.yaml"),
        ("contract_example.pspec.yaml", "dsl", "out.pspec"),
    ],
)
def test_contract_example_both_ways_same_ids(
    contract: Path, source: str, to: str, target: str
) -> None:
    text = (contract / source).read_text(encoding="utf-8")
    (contract / target).write_text(convert_text(text, source, to))  # type: ignore[arg-type]
    expected = ids_of(contract / source)
    assert expected and ids_of(contract / target) == expected


def test_yaml_string_that_looks_like_a_number_stays_a_string() -> None:
    yaml_text = 'tune: 1\nvars:\n  n: "7"\n  t: "true"\n  real: 7\n'
    dsl = convert_text(yaml_text, "s.pspec.yaml", "dsl")
    assert 'n = "7"' in dsl and 't = "true"' in dsl and "real = 7" in dsl


def test_dsl_strings_yaml_would_misread_are_quoted() -> None:
    dsl = (
        'tune 1\nvars {\n  a = "7"\n  b = "yes"\n  c = "null"\n  d = "2:3"\n'
        '  e = "1.5"\n  f = "plain words"\n}\n'
    )
    yaml_text = convert_text(dsl, "s.pspec", "yaml")
    spec = parse_yaml(yaml_text, "s.pspec.yaml").spec
    assert spec is not None
    values = {f.name: f.value for f in spec.vars}
    for name, want in {"a": "7", "b": "yes", "c": "null", "d": "2:3", "e": "1.5"}.items():
        lit = values[name]
        assert isinstance(lit, Literal) and lit.value == want, name
    assert "f: plain words" in yaml_text


def test_sweep_forms_and_files_both_ways() -> None:
    dsl = (
        "tune 1\n\nprompt p {\n  text = \"x\"\n  sweep {\n    seed = 1..4\n"
        "    cfg_scale = 5..9 step 0.5\n    steps = random(4, 42)\n"
        "    denoising_strength = 0.2..0.8 count 4\n"
        '    input_image = [file("refs/a.png"), file("b.png")]\n  }\n}\n'
    )
    yaml_text = convert_text(dsl, "s.pspec", "yaml")
    assert "seed: 1..4" in yaml_text
    assert "cfg_scale: 5..9 step 0.5" in yaml_text
    assert "steps: random(4, 42)" in yaml_text
    assert "input_image: [{file: refs/a.png}, {file: b.png}]" in yaml_text
    spec = parse_yaml(yaml_text, "s.pspec.yaml").spec
    assert spec is not None and spec.prompts[0].sweep is not None
    axes = {a.name: a.value for a in spec.prompts[0].sweep.axes}
    assert isinstance(axes["seed"], RangeValue) and isinstance(axes["input_image"], ListValue)
    assert convert_text(yaml_text, "s.pspec.yaml", "dsl") == dsl


def test_blocks_become_block_scalars_and_back() -> None:
    dsl = 'tune 1\n\nprompt p {\n  text = """\n    line one\n      two\n  """\n}\n'
    yaml_text = convert_text(dsl, "s.pspec", "yaml")
    assert "  text: |-\n      line one\n        two\n" in yaml_text
    assert convert_text(yaml_text, "s.pspec.yaml", "dsl") == dsl


def test_comments_carried_to_their_keys() -> None:
    dsl = (
        "# the file\ntune 1  # default tune\n\n# the styles\npreset base {\n"
        "  # why this\n  steps = 30  # enough\n}\n"
    )
    yaml_text = convert_text(dsl, "s.pspec", "yaml")
    assert yaml_text.startswith("# the file\n")
    assert "tune: 1  # default tune\n" in yaml_text
    assert "# the styles\n  base:\n" in yaml_text
    assert "    # why this\n    steps: 30  # enough\n" in yaml_text
    back = convert_text(yaml_text, "s.pspec.yaml", "dsl")
    for text in ("# the file", "tune 1  # default tune", "# why this", "steps = 30  # enough"):
        assert text in back


def test_yaml_comments_to_dsl() -> None:
    yaml_text = (
        "# head\ntune: 5  # t\nprompts:\n  p:  # the prompt\n    text: 'a # not a comment'\n"
        "    # before seed\n    seed: 3\n"
    )
    dsl = convert_text(yaml_text, "s.pspec.yaml", "dsl")
    assert dsl == (
        "# head\ntune 5  # t\n\nprompt p {  # the prompt\n  text = \"a # not a comment\"\n"
        "  # before seed\n  seed = 3\n}\n"
    )


def test_syntax_error_is_one_line() -> None:
    with pytest.raises(SpecError, match=r"^s\.pspec:2:\d+: PS001 "):
        convert_text("prompt a {\n  text = \n}\n", "s.pspec", "yaml")


def test_cli_convert_both_ways_with_output(contract: Path) -> None:
    code, out, err = invoke_in(
        contract, ["convert", "contract_example.pspec", "--to", "yaml", "-o", "a.pspec.yaml"]
    )
    assert code == 0 and out == "" and "a.pspec.yaml" in err
    code, _, _ = invoke_in(contract, ["convert", "a.pspec.yaml", "--to", "dsl", "-o", "b.pspec"])
    assert code == 0
    expected = ids_of(contract / "contract_example.pspec")
    assert ids_of(contract / "a.pspec.yaml") == expected == ids_of(contract / "b.pspec")


def test_cli_convert_to_stdout(contract: Path) -> None:
    code, out, _ = invoke_in(contract, ["convert", "contract_example.pspec.yaml", "--to", "dsl"])
    assert code == 0
    assert out.startswith("# The same spec in YAML: it must expand to the same request ids.\n")
    assert "tune 1234\n" in out and "prompt van_gogh : portrait {\n" in out


def test_cli_convert_errors(tmp_path: Path) -> None:
    code, _, err = invoke_in(tmp_path, ["convert", "nope.pspec", "--to", "yaml"])
    assert code == 2 and "nope.pspec" in err
    code, _, _ = invoke_in(tmp_path, ["convert", "x.pspec", "--to", "json"])
    assert code == 2
    (tmp_path / "bad.pspec").write_text("prompt {\n")
    code, out, err = invoke_in(tmp_path, ["convert", "bad.pspec", "--to", "yaml"])
    assert code == 1 and out == "" and err.startswith("bad.pspec:1:") and "Traceback" not in err


def test_fmt_check_and_convert_keep_ids(project: Path) -> None:
    write(project, {"u.pspec": 'tune   1\nprompt p{\ntext="x {{ seed }}" # keep\n'
                                'sweep {\nseed = 1..3\n}\n}\n'})
    assert run_cli("fmt", "u.pspec", "--check").exit_code == 1
    assert run_cli("fmt", "u.pspec").exit_code == 0
    once = (project / "u.pspec").read_text()
    assert "# keep" in once
    assert run_cli("fmt", "u.pspec", "--check").exit_code == 0
    r = run_cli("convert", "u.pspec", "--to", "yaml", "-o", "u.pspec.yaml")
    assert r.exit_code == 0
    ids = [x["id"] for x in expand_lines("u.pspec")]
    assert len(ids) == 3
    assert ids == [x["id"] for x in expand_lines("u.pspec.yaml")]
