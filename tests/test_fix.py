"""`--fix`: text edits applied last first, comments, BOM and line endings kept, overlaps
deferred, identical edits applied once; and the command line on both syntaxes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import invoke, positions, write

from promptspec.cli import cli
from promptspec.diagnostics import Diagnostic, Edit
from promptspec.lint.fix import apply_edits, fix_source
from promptspec.model import Span

SPAN = Span("a.pspec", 1, 1, 1, 1)


def fixable(*edits: Edit, code: str = "PS105") -> Diagnostic:
    return Diagnostic(code, "fix me", SPAN, fix=edits)


def test_apply_edits_last_first() -> None:
    text = "w = 500\nh = 300  # tall\n"
    out = apply_edits(text, [Edit(1, 5, 1, 8, "504"), Edit(2, 5, 2, 8, "304")])
    assert out == "w = 504\nh = 304  # tall\n"


def test_insertion_and_multiline_replacement() -> None:
    text = "a\nb\nc\n"
    assert apply_edits(text, [Edit(2, 1, 2, 1, "x\n")]) == "a\nx\nb\nc\n"
    assert apply_edits(text, [Edit(1, 2, 3, 1, " ")]) == "a c\n"


def test_crlf_kept_and_new_lines_follow_the_file() -> None:
    text = "a = 1\r\nb = 2\r\n"
    new, n = fix_source(text, [fixable(Edit(2, 1, 2, 1, "s = true\n"))])
    assert (new, n) == ("a = 1\r\ns = true\r\nb = 2\r\n", 1)
    # a column past the line's end stops before the \r
    new, _ = fix_source(text, [fixable(Edit(1, 6, 1, 99, " # end"))])
    assert new == "a = 1 # end\r\nb = 2\r\n"


def test_overlapping_edit_waits_and_identical_edit_counts_once() -> None:
    text = "inpaint_faces = true\nhires_fix = true\nw = 500\n"
    insert = Edit(1, 1, 1, 1, "super_resolution = true\n")
    diags = [
        fixable(insert, code="PS201"),
        fixable(insert, code="PS202"),
        fixable(Edit(3, 5, 3, 8, "504")),
        fixable(Edit(3, 5, 3, 8, "496")),  # overlaps the one before: next pass
        Diagnostic("PS101", "not fixable", SPAN),
    ]
    new, n = fix_source(text, diags)
    assert n == 3
    assert new == "super_resolution = true\ninpaint_faces = true\nhires_fix = true\nw = 504\n"


DSL = """# portraits
tune 1234

prompt a {
  text = "a fox"   # keep me
  w = 502          # width
  h = 298
}
"""
YAML = """\ufeff# portraits\r
version: 1\r
tune: 1234\r
prompts:\r
  a:\r
    text: 'a fox'   # keep me\r
    w: 502          # width\r
    h: 298\r
"""


@pytest.fixture
def specs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (tmp_path / "a.pspec").write_text(DSL)
    (tmp_path / "b.pspec.yaml").write_bytes(YAML.encode("utf-8"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return tmp_path


def test_fix_both_syntaxes_keeps_comments_bom_and_line_endings(specs: Path) -> None:
    before = CliRunner().invoke(cli, ["lint", "--format", "json"])
    assert sorted(f["code"] for f in json.loads(before.stdout)) == ["PS105"] * 4
    assert all(f["fixable"] for f in json.loads(before.stdout))
    r = CliRunner().invoke(cli, ["lint", "--fix"])
    assert r.exit_code == 0, r.output
    assert r.stdout == ""
    assert "Fixed 4 findings." in r.stderr
    assert (specs / "a.pspec").read_text() == DSL.replace("w = 502", "w = 504").replace(
        "h = 298", "h = 296")
    data = (specs / "b.pspec.yaml").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf# portraits\r\n")
    text = data.decode("utf-8")
    assert "    w: 504          # width\r\n" in text
    assert "    h: 296\r\n" in text
    assert "    text: 'a fox'   # keep me\r\n" in text
    assert text.count("\r\n") == YAML.count("\r\n")
    again = CliRunner().invoke(cli, ["lint"])
    assert (again.exit_code, again.stdout) == (0, "")


def test_fix_reports_what_remains(specs: Path) -> None:
    (specs / "c.pspec").write_text('tune 1\nprompt c {\n  text = "x"\n  colour = 1\n  w = 9\n}\n')
    r = CliRunner().invoke(cli, ["lint", "--fix", "c.pspec"])
    assert r.exit_code == 1
    assert [ln.split(" ")[1] for ln in r.stdout.splitlines()] == ["PS101"]
    assert "Fixed 1 finding." in r.stderr
    assert "w = 8\n" in (specs / "c.pspec").read_text()


def test_fix_respects_selection(specs: Path) -> None:
    r = CliRunner().invoke(cli, ["lint", "--fix", "--ignore", "PS105"])
    assert r.exit_code == 0
    assert (specs / "a.pspec").read_text() == DSL


def test_fix_inserts_super_resolution_once_for_both_rules(specs: Path) -> None:
    (specs / "d.pspec").write_text(
        'tune 1\n\npreset p {\n  inpaint_faces = true  # faces\n  hires_fix = true\n}\n\n'
        'prompt c : p {\n  text = "x"\n  scheduler = "Euler_A"\n}\n')
    (specs / "e.pspec.yaml").write_text(
        "version: 1\ntune: 1\nprompts:\n  c:\n    text: x   # t\n"
        "    inpaint_faces: true\n    hires_fix: true\n    scheduler: EULER\n")
    r = CliRunner().invoke(cli, ["lint", "--fix", "d.pspec", "e.pspec.yaml"])
    assert (r.exit_code, r.stdout) == (0, "")
    assert "Fixed 6 findings." in r.stderr
    dsl = (specs / "d.pspec").read_text()
    assert dsl.count("super_resolution = true") == 1
    assert "inpaint_faces = true  # faces\n" in dsl and 'scheduler = "euler_a"' in dsl
    yaml = (specs / "e.pspec.yaml").read_text()
    assert yaml.count("super_resolution: true") == 1
    assert "    text: x   # t\n" in yaml and "scheduler: euler\n" in yaml


def test_lint_fix_in_yaml_mends_the_case_of_a_choice(project: Path) -> None:
    """Positions of this file's findings: tests/rule_cases/at_two_field_yaml.pspec.yaml."""
    case = Path(__file__).parent / "rule_cases" / "at_two_field_yaml.pspec.yaml"
    write(project, {"y.pspec.yaml": case.read_text(encoding="utf-8")})
    assert (22 + 1, 16, "PS104") in positions("y.pspec.yaml")  # one header line
    r = invoke("lint", "y.pspec.yaml", "--fix")
    assert "scheduler: euler_a  #" in (project / "y.pspec.yaml").read_text()
    assert "PS104" not in r.stdout
    assert "PS104" not in {code for _, _, code in positions("y.pspec.yaml")}
