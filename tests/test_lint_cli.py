"""`promptspec lint` end to end: formats, exit codes, selection, suppression, discovery,
`rules`, and the import cost of the lint path (real subprocesses for a few)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from promptspec.cli import cli
from promptspec.lint.rules import RULES

# line 5: PS103 (num_images 9); line 6: PS101 (unknown parameter)
BAD_DSL = """tune 1234

prompt a {
  text = "a fox"
  num_images = 9
  colour = 1
}
"""
# preset sets aspect_ratio, the prompt w: PS209 (a warning) at the prompt's w (line 8)
WARN_DSL = """tune 1234

preset square {
  aspect_ratio = "1:1"
}

prompt b : square {
  w = 512
  text = "a fox"
}
"""
CLEAN_DSL = 'tune 1234\n\nprompt c {\n  text = "a fox"\n}\n'
BAD_YAML = """version: 1
tune: 1234
prompts:
  d:
    text: "a fox"
    steps: 99
"""


def project(tmp_path: Path, files: dict[str, str], pyproject: str = "") -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n' + pyproject)
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return tmp_path


def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str,
        env: dict[str, str] | None = None) -> Result:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return CliRunner().invoke(cli, ["lint", *args], env=env)


def found(result: Result) -> list[tuple[str, int, str]]:
    return [(f["path"], f["line"], f["code"]) for f in json.loads(result.stdout)]


def test_text_findings_sorted_with_summary_on_stderr(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    project(tmp_path, {"b.pspec": BAD_DSL, "a.pspec.yaml": BAD_YAML, "c.pspec": CLEAN_DSL})
    r = run(tmp_path, monkeypatch)
    assert r.exit_code == 1
    lines = r.stdout.splitlines()
    assert lines[0].startswith("a.pspec.yaml:6:")
    assert "PS103" in lines[0]
    assert [ln.split(":")[:2] for ln in lines[1:]] == [["b.pspec", "5"], ["b.pspec", "6"]]
    assert lines[1].split(": ", 1)[1].startswith("PS103 ")
    assert lines[2].split(": ", 1)[1].startswith("PS101 ")
    assert r.stderr.strip() == "Found 3 errors, 0 warnings."


def test_clean_run_prints_nothing_on_stdout(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    project(tmp_path, {"c.pspec": CLEAN_DSL})
    r = run(tmp_path, monkeypatch)
    assert (r.exit_code, r.stdout) == (0, "")


def test_json_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project(tmp_path, {"specs/b.pspec": BAD_DSL})
    r = run(tmp_path, monkeypatch, "--format", "json")
    items = json.loads(r.stdout)
    assert [(i["path"], i["line"], i["code"]) for i in items] == [
        ("specs/b.pspec", 5, "PS103"), ("specs/b.pspec", 6, "PS101")]
    first = items[0]
    assert set(first) == {"path", "line", "column", "end_line", "end_column", "code", "name",
                          "severity", "message", "prompt", "fixable"}
    assert (first["name"], first["severity"], first["prompt"], first["fixable"]) == (
        "out-of-range", "error", "a", False)
    assert r.exit_code == 1


def test_warnings_pass_unless_strict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project(tmp_path, {"w.pspec": WARN_DSL})
    r = run(tmp_path, monkeypatch, "--format", "json")
    assert [(i["code"], i["severity"], i["line"]) for i in json.loads(r.stdout)] == [
        ("PS209", "warning", 8)]
    assert r.exit_code == 0
    assert r.stderr.strip() == "Found 0 errors, 1 warning."
    assert run(tmp_path, monkeypatch, "--strict").exit_code == 1
    assert run(tmp_path, monkeypatch, "--strict", "--exit-zero").exit_code == 0


def test_exit_zero(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project(tmp_path, {"b.pspec": BAD_DSL})
    r = run(tmp_path, monkeypatch, "--exit-zero")
    assert r.exit_code == 0 and "PS103" in r.stdout


def test_github_format_escapes_and_is_chosen_on_actions(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    project(tmp_path, {"w.pspec": WARN_DSL, "b.pspec": BAD_DSL})
    r = run(tmp_path, monkeypatch, env={"GITHUB_ACTIONS": "true"})
    lines = r.stdout.splitlines()
    assert lines[0].startswith("::error file=b.pspec,line=5,col=")
    assert re.fullmatch(r"::error file=b\.pspec,line=5,col=\d+,title=PS103::.*", lines[0])
    assert lines[-1].startswith("::warning file=w.pspec,line=8,")
    assert all("\n" not in ln for ln in lines)


def test_github_escaping_of_properties_and_message() -> None:
    from promptspec.diagnostics import Diagnostic
    from promptspec.model import Span
    from promptspec.output.github import workflow_command

    d = Diagnostic("PS103", "50% off\nnext: line,", Span("a,b:c.pspec", 2, 3, 2, 9))
    assert workflow_command(d) == (
        "::error file=a%2Cb%3Ac.pspec,line=2,col=3,title=PS103::50%25 off%0Anext: line,")


def test_select_and_ignore_on_the_command_line(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    project(tmp_path, {"b.pspec": BAD_DSL, "w.pspec": WARN_DSL})
    r = run(tmp_path, monkeypatch, "--format", "json", "--select", "PS1")
    assert {c for _, _, c in found(r)} == {"PS101", "PS103"}
    r = run(tmp_path, monkeypatch, "--format", "json", "--select", "PS1,PS209",
            "--ignore", "ps101")
    assert {c for _, _, c in found(r)} == {"PS103", "PS209"}
    r = run(tmp_path, monkeypatch, "--format", "json", "--ignore", "PS1")
    assert found(r) == [("w.pspec", 8, "PS209")]
    assert r.exit_code == 0


def test_unknown_code_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project(tmp_path, {"b.pspec": BAD_DSL})
    r = run(tmp_path, monkeypatch, "--select", "PS999")
    assert r.exit_code == 2
    assert "PS999" in r.stderr and r.stdout == ""


def test_config_select_ignore_and_cli_override(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    project(tmp_path, {"b.pspec": BAD_DSL, "w.pspec": WARN_DSL},
            '[tool.promptspec]\nignore = ["PS103", "PS2"]\n')
    r = run(tmp_path, monkeypatch, "--format", "json")
    assert found(r) == [("b.pspec", 6, "PS101")]
    # --select replaces the selection; config ignores carry over (no config select)
    r = run(tmp_path, monkeypatch, "--format", "json", "--select", "PS103,PS209")
    assert found(r) == [("w.pspec", 8, "PS209")]


def test_config_select_replaced_by_cli_select(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    project(tmp_path, {"b.pspec": BAD_DSL}, '[tool.promptspec]\nselect = ["PS101"]\n')
    assert found(run(tmp_path, monkeypatch, "--format", "json")) == [("b.pspec", 6, "PS101")]
    r = run(tmp_path, monkeypatch, "--format", "json", "--select", "PS103")
    assert found(r) == [("b.pspec", 5, "PS103")]


def test_per_file_ignores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project(tmp_path, {"legacy/b.pspec": BAD_DSL, "new/b.pspec": BAD_DSL},
            '[tool.promptspec.per-file-ignores]\n"legacy/*" = ["PS1"]\n')
    sub = tmp_path / "new"
    r = run(tmp_path, monkeypatch, "--format", "json")
    assert {p for p, _, _ in found(r)} == {"new/b.pspec"}
    # globs are relative to the pyproject's folder, not to the current one
    r = run(sub, monkeypatch, "--format", "json", str(tmp_path / "legacy"))
    assert found(r) == []


def test_invalid_config_is_one_line_exit_2(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    project(tmp_path, {"b.pspec": BAD_DSL}, '[tool.promptspec]\nselect = "PS1"\n')
    r = run(tmp_path, monkeypatch)
    assert r.exit_code == 2
    assert r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1
    assert "pyproject.toml" in r.stderr


def test_config_code_matching_no_rule_is_a_config_error(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    project(tmp_path, {"b.pspec": BAD_DSL}, '[tool.promptspec]\nignore = ["PS998"]\n')
    r = run(tmp_path, monkeypatch)
    assert r.exit_code == 2 and "pyproject.toml" in r.stderr and "PS998" in r.stderr


def test_unreadable_path_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project(tmp_path, {"b.pspec": BAD_DSL})
    r = run(tmp_path, monkeypatch, "missing.pspec")
    assert r.exit_code == 2
    assert r.stderr.strip() == "missing.pspec: no such file"


def test_suppression_comments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dsl = BAD_DSL.replace("num_images = 9", "num_images = 9  # promptspec: ignore[PS103]")
    dsl = dsl.replace("colour = 1", "colour = 1  # promptspec: ignore")
    yaml = BAD_YAML.replace("steps: 99", "steps: 99   # promptspec: ignore[PS209, PS103]")
    project(tmp_path, {"b.pspec": dsl, "a.pspec.yaml": yaml})
    r = run(tmp_path, monkeypatch, "--format", "json")
    assert found(r) == [] and r.exit_code == 0


def test_suppression_of_another_code_does_not_hide(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    dsl = BAD_DSL.replace("num_images = 9", "num_images = 9  # promptspec: ignore[PS101]")
    project(tmp_path, {"b.pspec": dsl})
    assert ("b.pspec", 5, "PS103") in found(run(tmp_path, monkeypatch, "--format", "json"))


def test_suppression_text_inside_strings_is_not_a_comment(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    dsl = BAD_DSL.replace("colour = 1", 'colour = "say \\" # promptspec: ignore"')
    yaml = BAD_YAML + "    colour: 'it''s # promptspec: ignore'\n" + \
        '    hue: "a # promptspec: ignore"\n'
    project(tmp_path, {"b.pspec": dsl, "a.pspec.yaml": yaml})
    codes = found(run(tmp_path, monkeypatch, "--format", "json"))
    assert ("b.pspec", 6, "PS101") in codes
    assert ("a.pspec.yaml", 7, "PS101") in codes
    assert ("a.pspec.yaml", 8, "PS101") in codes


def test_discovery_skips_hidden_and_gitignored(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    project(tmp_path, {
        "specs/b.pspec": BAD_DSL,
        "specs/deep/x.pspec.yml": BAD_YAML,
        ".hidden/b.pspec": BAD_DSL,
        "build/b.pspec": BAD_DSL,
        "specs/scratch.pspec": BAD_DSL,
        "specs/keep.pspec": BAD_DSL,
        "notes/b.txt": "not a spec",
        ".gitignore": "build/\n*.pspec\n!/specs/*.pspec\nspecs/scratch.pspec\n",
    })
    r = run(tmp_path, monkeypatch, "--format", "json")
    assert sorted({p for p, _, _ in found(r)}) == [
        "specs/b.pspec", "specs/deep/x.pspec.yml", "specs/keep.pspec"]
    # a folder argument: paths as given, joined with what lies below
    r = run(tmp_path, monkeypatch, "--format", "json", "specs/deep")
    assert {p for p, _, _ in found(r)} == {"specs/deep/x.pspec.yml"}
    # an explicit file is linted whatever its name or ignore status
    (tmp_path / "build" / "odd.txt").write_text(BAD_DSL)
    r = run(tmp_path, monkeypatch, "--format", "json", "build/odd.txt")
    assert {p for p, _, _ in found(r)} == {"build/odd.txt"}


def test_statistics(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project(tmp_path, {"b.pspec": BAD_DSL, "c.pspec": BAD_DSL, "w.pspec": WARN_DSL})
    r = run(tmp_path, monkeypatch, "--statistics")
    assert r.stdout.splitlines() == [
        "  2  PS101 unknown-parameter",
        "  2  PS103 out-of-range",
        "  1  PS209 aspect-ratio-with-size",
    ]
    assert r.exit_code == 1 and "Found 4 errors, 1 warning." in r.stderr
    rows = json.loads(run(tmp_path, monkeypatch, "--statistics", "--format", "json").stdout)
    assert rows[0] == {"code": "PS101", "name": "unknown-parameter", "count": 2,
                       "fixable": False}


def test_rules_text_json_and_one_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    text = runner.invoke(cli, ["rules"])
    lines = text.stdout.splitlines()
    assert len(lines) == len(RULES)
    assert lines[0].split()[:3] == ["PS001", "syntax-error", "error"]
    items = json.loads(runner.invoke(cli, ["rules", "--format", "json"]).stdout)
    assert [i["code"] for i in items] == sorted(RULES)
    assert set(items[0]) == {"code", "name", "severity", "summary", "explanation", "fixable"}
    one = runner.invoke(cli, ["rules", "ps209"])
    assert one.exit_code == 0
    assert one.stdout.startswith("PS209 aspect-ratio-with-size (warning)")
    assert RULES["PS209"].good.strip().splitlines()[0].strip() in one.stdout
    assert "Bad:" in one.stdout and "Good:" in one.stdout
    assert runner.invoke(cli, ["rules", "PS999"]).exit_code == 2


def _subprocess(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    return subprocess.run([sys.executable, "-m", "promptspec", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


def test_subprocess_text_and_exit_codes(tmp_path: Path) -> None:
    project(tmp_path, {"b.pspec": BAD_DSL, "c.pspec": CLEAN_DSL})
    r = _subprocess(tmp_path, "lint")
    assert r.returncode == 1
    assert r.stdout.splitlines()[0].startswith("b.pspec:5:")
    assert r.stderr.strip() == "Found 2 errors, 0 warnings."
    clean = _subprocess(tmp_path, "lint", "c.pspec")
    assert (clean.returncode, clean.stdout) == (0, "")
    bad_opt = _subprocess(tmp_path, "lint", "--format", "xml")
    assert bad_opt.returncode == 2 and "Traceback" not in bad_opt.stderr


def test_lint_path_stays_light(tmp_path: Path) -> None:
    project(tmp_path, {"b.pspec": BAD_DSL, "a.pspec.yaml": BAD_YAML})
    code = (
        "import sys\n"
        "from promptspec.cli import main\n"
        "try:\n"
        "    main(['lint', '--format', 'sarif', 'b.pspec', 'a.pspec.yaml'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('httpx', 'rich', 'PIL', 'aiohttp', 'promptspec.emulator',\n"
        "         'pygls', 'lsprotocol', 'promptspec.lsp',\n"
        "         'promptspec.runner') if m in sys.modules]\n"
        "sys.stderr.write('HEAVY=' + ','.join(heavy) + '\\n')\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                       text=True, timeout=60)
    assert "HEAVY=\n" in r.stderr, r.stderr
    assert json.loads(r.stdout)["version"] == "2.1.0"


def test_sarif_from_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import jsonschema

    schema = json.loads((Path(__file__).parent / "data" / "sarif-2.1.0.schema.json").read_text())
    project(tmp_path, {"specs/b.pspec": BAD_DSL, "specs/w.pspec": WARN_DSL})
    (tmp_path / ".git").mkdir()
    r = run(tmp_path / "specs", monkeypatch, "--format", "sarif")
    assert r.exit_code == 1
    log = json.loads(r.stdout)
    jsonschema.validators.validator_for(schema)(schema).validate(log)
    results = log["runs"][0]["results"]
    uris = [res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for res in results]
    assert uris == ["specs/b.pspec", "specs/b.pspec", "specs/w.pspec"]
    assert [res["level"] for res in results] == ["error", "error", "warning"]
