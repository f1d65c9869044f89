"""Hostile templates and numbers: each is a finding in lint and refused alike by expand,
never a crash, a hang or a silent pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import invoke_unbroken

from promptspec.cli import cli
from promptspec.errors import RuleCrash
from promptspec.lint import rules as rule_families


def _spec(tmp_path: Path, text: str, extra: str = "", name: str = "s.pspec") -> Path:
    (tmp_path / "pyproject.toml").write_text("")
    path = tmp_path / name
    body = f"tune 1\nprompt a {{\n  text = {json.dumps(text)}\n{extra}}}\n"
    path.write_text(body)
    return path



HOSTILE = [
    ("{{ 10 ** 5000 }}", "4,300 digits"),
    ("{{ 'a' * 10**9 }}", "longer than 1,000,000"),
    ("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", "recurses more than 100"),
    ("{{ " + "(" * 100_000 + "1" + ")" * 100_000 + " }}", "nests more than 100"),
    ("{{ " + "-" * 5000 + "1 }}", "nests more than 100"),
    ("{% for i in range(100000) %}{% endfor %}x", "at most 10,000"),
    ("{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}x",
     "loop steps"),
    ("{{ 'x'|center(10**9) }}", "reaches past"),
    ("{{ range(100000) | random }}", "No filter named 'random'"),
    ("{% set s = 'ab' * 400000 %}{{ s ~ s ~ s }}", "longer than 1,000,000"),
    ("{{ 1 / 0 }}", "division"),
]


def test_a_plain_template_past_the_output_bound_is_ps301_in_lint_as_in_expand(
        tmp_path: Path) -> None:
    """Text and bare names render without jinja, within the sandbox's bound all the same."""
    big = f"  vars {{\n    big = \"{'b' * 600_000}\"\n  }}\n"
    spec = _spec(tmp_path, "{{ big }} {{ big }}", big)
    code, out, _ = invoke_unbroken("lint", "--no-cache", str(spec))
    assert code == 1 and ": PS301 " in out and "renders more than 1,000,000" in out, out[:300]
    code, out, err = invoke_unbroken("expand", str(spec))
    assert code == 1 and out == "" and "PS301" in err


@pytest.mark.parametrize(("template", "why"), HOSTILE)
def test_a_template_past_a_bound_is_ps301_in_lint_and_refused_by_expand(
        tmp_path: Path, template: str, why: str) -> None:
    spec = _spec(tmp_path, template)
    code, out, err = invoke_unbroken("lint", str(spec))
    assert code == 1
    assert ": PS301 " in out and why in out, out
    assert out.startswith(f"{spec}:3:")
    code, out, err = invoke_unbroken("expand", str(spec))
    assert code == 1 and out == ""
    assert "PS301" in err


@pytest.mark.parametrize("name", ["lipsum", "cycler", "joiner"])
def test_no_source_of_randomness_or_state_in_the_sandbox(tmp_path: Path, name: str) -> None:
    spec = _spec(tmp_path, f"{{{{ {name}|attr('__globals__') }}}}")
    code, out, _ = invoke_unbroken("lint", str(spec))
    assert code == 1 and f"PS302 text: '{name}' is not defined" in out


def test_loops_within_the_bounds_still_render(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "{% for i in range(3) %}{{ i }}{% endfor %} {{ range(2)|join(',') }}"
                           " {{ 2 ** 10 }} {{ 'ab' ~ 'c' }}")
    code, out, _ = invoke_unbroken("expand", str(spec))
    assert code == 0
    assert json.loads(out)["params"]["text"] == "012 0,1 1024 abc"


def test_values_render_by_their_type_and_give_three_requests(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "v={{ v }}", "  sweep {\n    v = [1, 1.0, true, -0.0, 0.0]\n  }\n")
    code, out, _ = invoke_unbroken("expand", str(spec))
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["params"]["text"] for r in rows] == ["v=1", "v=1.0", "v=True", "v=-0.0", "v=0.0"]
    assert len({r["id"] for r in rows}) == 5


@pytest.mark.parametrize(("yaml_value", "code_", "words"), [
    (".nan", "PS102", "NaN"), (".inf", "PS103", "inf"), ("-.inf", "PS103", "-inf"),
])
def test_non_finite_numbers_are_refused(tmp_path: Path, yaml_value: str, code_: str,
                                        words: str) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    spec = tmp_path / "n.pspec.yaml"
    spec.write_text(f"tune: 1\nvars: {{x: {yaml_value}}}\nprompts:\n  a:\n"
                    f"    text: 'hi {{{{ x }}}}'\n    cfg_scale: {yaml_value}\n"
                    f"    sweep: {{y: [{yaml_value}]}}\n")
    code, out, _ = invoke_unbroken("lint", str(spec))
    assert code == 1
    assert out.count(f" {code_} ") == 3 and words in out
    code, out, _ = invoke_unbroken("expand", str(spec))
    assert code == 1 and "NaN" not in out and "Infinity" not in out


def test_dsl_overflowing_float_is_out_of_range(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "x", "  cfg_scale = 1e999\n")
    code, out, _ = invoke_unbroken("lint", str(spec))
    assert code == 1 and "PS103 cfg_scale inf" in out


@pytest.mark.parametrize(("axis", "message"), [
    ("-1e308..1e308", "PS407 the range holds more than"),
    ("0..10 step 1e-300", "PS407 the range holds more than"),
    ("1..2 count 10000000000000000", "PS407 count"),
    ("random(4294967296)", "PS407 random(4294967296) asks for more than 1,000,000"),
])
def test_extreme_ranges_are_findings(tmp_path: Path, axis: str, message: str) -> None:
    spec = _spec(tmp_path, "x {{ v }}", f"  sweep {{\n    v = {axis}\n  }}\n")
    code, out, _ = invoke_unbroken("lint", str(spec))
    assert code == 1 and message in out, out


def test_integers_past_4300_digits_are_one_line(tmp_path: Path) -> None:
    digits = "9" * 5000
    spec = _spec(tmp_path, "x", f"  seed = {digits}\n")
    code, out, _ = invoke_unbroken("lint", str(spec))
    assert code == 1 and "PS001 an integer of more than 4,300 digits" in out
    (tmp_path / "y.pspec.yaml").write_text(
        f"tune: 1\nprompts:\n  a:\n    text: x\n    seed: {digits}\n"
        f"    sweep: {{steps: '1..{digits}'}}\n")
    code, out, _ = invoke_unbroken("lint", str(tmp_path / "y.pspec.yaml"))
    assert code == 1 and "PS102 seed must be an integer" in out and "PS407" in out


def test_a_crashing_rule_family_is_exit_2_naming_it(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(ctx: object) -> None:
        raise ValueError("boom")

    broken.__module__ = "promptspec.lint.rules.broken_family"
    monkeypatch.setattr(rule_families, "_FILE_CHECKS", (broken,))
    spec = _spec(tmp_path, "x")
    r = CliRunner().invoke(cli, ["lint", str(spec)])
    assert r.exit_code == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "broken_family" in lines[0] and "ValueError: boom" in lines[0]
    assert issubclass(RuleCrash, Exception)
