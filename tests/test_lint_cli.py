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
from click.testing import Result
from conftest import CODE_TABLE, invoke, positions, write

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


def run(cwd: Path, monkeypatch: pytest.MonkeyPatch, *args: str,
        env: dict[str, str | None] | None = None) -> Result:
    """`promptspec lint ARGS` from the folder `cwd`."""
    monkeypatch.chdir(cwd)
    return invoke("lint", *args, env=env)


def found(result: Result) -> list[tuple[str, int, str]]:
    return [(f["path"], f["line"], f["code"]) for f in json.loads(result.stdout)]


def test_text_findings_sorted_with_summary_on_stderr(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"b.pspec": BAD_DSL, "a.pspec.yaml": BAD_YAML, "c.pspec": CLEAN_DSL},
          pyproject="")
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
    write(tmp_path, {"c.pspec": CLEAN_DSL}, pyproject="")
    r = run(tmp_path, monkeypatch)
    assert (r.exit_code, r.stdout) == (0, "")


def test_warnings_pass_unless_strict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"w.pspec": WARN_DSL}, pyproject="")
    r = run(tmp_path, monkeypatch, "--format", "json")
    assert [(i["code"], i["severity"], i["line"]) for i in json.loads(r.stdout)] == [
        ("PS209", "warning", 8)]
    assert r.exit_code == 0
    assert r.stderr.strip() == "Found 0 errors, 1 warning."
    assert run(tmp_path, monkeypatch, "--strict").exit_code == 1
    assert run(tmp_path, monkeypatch, "--strict", "--exit-zero").exit_code == 0


def test_github_format_escapes_and_is_chosen_on_actions(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"w.pspec": WARN_DSL, "b.pspec": BAD_DSL}, pyproject="")
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
    write(tmp_path, {"b.pspec": BAD_DSL, "w.pspec": WARN_DSL}, pyproject="")
    r = run(tmp_path, monkeypatch, "--format", "json", "--select", "PS1")
    assert {c for _, _, c in found(r)} == {"PS101", "PS103"}
    r = run(tmp_path, monkeypatch, "--format", "json", "--select", "PS1,PS209",
            "--ignore", "ps101")
    assert {c for _, _, c in found(r)} == {"PS103", "PS209"}
    r = run(tmp_path, monkeypatch, "--format", "json", "--ignore", "PS1")
    assert found(r) == [("w.pspec", 8, "PS209")]
    assert r.exit_code == 0


def test_unknown_code_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"b.pspec": BAD_DSL}, pyproject="")
    r = run(tmp_path, monkeypatch, "--select", "PS999")
    assert r.exit_code == 2
    assert "PS999" in r.stderr and r.stdout == ""


def test_config_select_ignore_and_cli_override(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"b.pspec": BAD_DSL, "w.pspec": WARN_DSL},
          pyproject='[tool.promptspec]\nignore = ["PS103", "PS2"]\n')
    r = run(tmp_path, monkeypatch, "--format", "json")
    assert found(r) == [("b.pspec", 6, "PS101")]
    # --select replaces the selection; config ignores carry over (no config select)
    r = run(tmp_path, monkeypatch, "--format", "json", "--select", "PS103,PS209")
    assert found(r) == [("w.pspec", 8, "PS209")]


def test_config_select_replaced_by_cli_select(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"b.pspec": BAD_DSL}, pyproject='[tool.promptspec]\nselect = ["PS101"]\n')
    assert found(run(tmp_path, monkeypatch, "--format", "json")) == [("b.pspec", 6, "PS101")]
    r = run(tmp_path, monkeypatch, "--format", "json", "--select", "PS103")
    assert found(r) == [("b.pspec", 5, "PS103")]


def test_per_file_ignores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"legacy/b.pspec": BAD_DSL, "new/b.pspec": BAD_DSL},
          pyproject='[tool.promptspec.per-file-ignores]\n"legacy/*" = ["PS1"]\n')
    sub = tmp_path / "new"
    r = run(tmp_path, monkeypatch, "--format", "json")
    assert {p for p, _, _ in found(r)} == {"new/b.pspec"}
    # globs are relative to the pyproject's folder, not to the current one
    r = run(sub, monkeypatch, "--format", "json", str(tmp_path / "legacy"))
    assert found(r) == []


def test_unreadable_path_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"b.pspec": BAD_DSL}, pyproject="")
    r = run(tmp_path, monkeypatch, "missing.pspec")
    assert r.exit_code == 2
    assert r.stderr.strip() == "missing.pspec: no such file"


def test_suppression_comments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dsl = BAD_DSL.replace("num_images = 9", "num_images = 9  # promptspec: ignore[PS103]")
    dsl = dsl.replace("colour = 1", "colour = 1  # promptspec: ignore")
    yaml = BAD_YAML.replace("steps: 99", "steps: 99   # promptspec: ignore[PS209, PS103]")
    write(tmp_path, {"b.pspec": dsl, "a.pspec.yaml": yaml}, pyproject="")
    r = run(tmp_path, monkeypatch, "--format", "json")
    assert found(r) == [] and r.exit_code == 0


def test_suppression_of_another_code_does_not_hide(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    dsl = BAD_DSL.replace("num_images = 9", "num_images = 9  # promptspec: ignore[PS101]")
    write(tmp_path, {"b.pspec": dsl}, pyproject="")
    assert ("b.pspec", 5, "PS103") in found(run(tmp_path, monkeypatch, "--format", "json"))


def test_suppression_text_inside_strings_is_not_a_comment(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    dsl = BAD_DSL.replace("colour = 1", 'colour = "say \\" # promptspec: ignore"')
    yaml = BAD_YAML + "    colour: 'it''s # promptspec: ignore'\n" + \
        '    hue: "a # promptspec: ignore"\n'
    write(tmp_path, {"b.pspec": dsl, "a.pspec.yaml": yaml}, pyproject="")
    codes = found(run(tmp_path, monkeypatch, "--format", "json"))
    assert ("b.pspec", 6, "PS101") in codes
    assert ("a.pspec.yaml", 7, "PS101") in codes
    assert ("a.pspec.yaml", 8, "PS101") in codes


def test_discovery_skips_hidden_and_gitignored(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {
        "specs/b.pspec": BAD_DSL,
        "specs/deep/x.pspec.yml": BAD_YAML,
        "specs/deep/y.pspec.yaml": BAD_YAML,
        ".hidden/b.pspec": BAD_DSL,
        "build/b.pspec": BAD_DSL,
        "specs/scratch.pspec": BAD_DSL,
        "specs/keep.pspec": BAD_DSL,
        "notes/b.txt": "not a spec",
        ".gitignore": "build/\n*.pspec\n!/specs/*.pspec\nspecs/scratch.pspec\n",
    }, pyproject="")
    r = run(tmp_path, monkeypatch, "--format", "json")
    assert sorted({p for p, _, _ in found(r)}) == [
        "specs/b.pspec", "specs/deep/x.pspec.yml", "specs/deep/y.pspec.yaml", "specs/keep.pspec"]
    # a folder argument: paths as given, joined with what lies below
    r = run(tmp_path, monkeypatch, "--format", "json", "specs/deep")
    assert {p for p, _, _ in found(r)} == {"specs/deep/x.pspec.yml", "specs/deep/y.pspec.yaml"}
    # an explicit file is linted whatever its name or ignore status
    (tmp_path / "build" / "odd.txt").write_text(BAD_DSL)
    r = run(tmp_path, monkeypatch, "--format", "json", "build/odd.txt")
    assert {p for p, _, _ in found(r)} == {"build/odd.txt"}


def test_statistics(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"b.pspec": BAD_DSL, "c.pspec": BAD_DSL, "w.pspec": WARN_DSL}, pyproject="")
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
    text = invoke("rules")
    lines = text.stdout.splitlines()
    assert len(lines) == len(RULES)
    assert lines[0].split()[:3] == ["PS001", "syntax-error", "error"]
    items = json.loads(invoke("rules", "--format", "json").stdout)
    assert [(i["code"], i["name"], i["severity"], i["fixable"]) for i in items] == [
        (c.code, c.name, c.severity, c.fixable) for c in CODE_TABLE.values()]
    assert all(list(i) == ["code", "name", "severity", "summary", "explanation", "fixable"]
               for i in items)
    one = invoke("rules", "ps209")
    assert one.exit_code == 0
    assert one.stdout.startswith("PS209 aspect-ratio-with-size (warning)")
    assert RULES["PS209"].good.strip().splitlines()[0].strip() in one.stdout
    assert "Bad:" in one.stdout and "Good:" in one.stdout
    assert invoke("rules", "PS999").exit_code == 2


def _subprocess(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    return subprocess.run([sys.executable, "-m", "promptspec", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


def test_the_installed_command_text_and_exit_codes(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """One real process, as a shell runs it; the other answers in-process."""
    write(tmp_path, {"b.pspec": BAD_DSL, "c.pspec": CLEAN_DSL}, pyproject="")
    r = _subprocess(tmp_path, "lint")
    assert r.returncode == 1
    assert r.stdout.splitlines()[0].startswith("b.pspec:5:")
    assert r.stderr.strip() == "Found 2 errors, 0 warnings."
    clean = run(tmp_path, monkeypatch, "c.pspec")
    assert (clean.exit_code, clean.stdout) == (0, "")
    bad_opt = run(tmp_path, monkeypatch, "--format", "xml")
    assert bad_opt.exit_code == 2 and "Traceback" not in bad_opt.stderr


def test_lint_path_stays_light(tmp_path: Path) -> None:
    write(tmp_path, {"b.pspec": BAD_DSL, "a.pspec.yaml": BAD_YAML}, pyproject="")
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
    write(tmp_path, {"specs/b.pspec": BAD_DSL, "specs/w.pspec": WARN_DSL}, pyproject="")
    (tmp_path / ".git").mkdir()
    r = run(tmp_path / "specs", monkeypatch, "--format", "sarif")
    assert r.exit_code == 1
    log = json.loads(r.stdout)
    jsonschema.validators.validator_for(schema)(schema).validate(log)
    results = log["runs"][0]["results"]
    uris = [res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for res in results]
    assert uris == ["specs/b.pspec", "specs/b.pspec", "specs/w.pspec"]
    assert [res["level"] for res in results] == ["error", "error", "warning"]


FINDINGS_DSL = """
    tune 1
    preset sq {
      aspect_ratio = "1:1"
    }
    prompt p : sq {
      text = "x"
      w = 512
      num_images = 9
    }
    prompt q {
      text = "x"
      steps = 99
    }
    """


def test_text_output_summary_and_exit_codes(project: Path) -> None:
    write(project, {"a.pspec": FINDINGS_DSL})
    r = invoke("lint", "a.pspec")
    assert r.exit_code == 1
    assert [re.match(r"a\.pspec:(\d+):(\d+): (PS\d{3}) ", ln).groups()  # type: ignore[union-attr]
            for ln in r.stdout.splitlines()] == [("7", "3", "PS209"), ("8", "16", "PS103"),
                                                 ("12", "11", "PS103")]
    assert r.stderr.strip() == "Found 2 errors, 1 warning."
    assert invoke("lint", "a.pspec", "--exit-zero").exit_code == 0
    only_warning = invoke("lint", "a.pspec", "--select", "PS209")
    assert only_warning.exit_code == 0 and only_warning.stdout.count("\n") == 1
    strict = invoke("lint", "a.pspec", "--select", "PS209", "--strict")
    assert strict.exit_code == 1
    clean = invoke("lint", "a.pspec", "--ignore", "PS103,PS209")
    assert clean.exit_code == 0 and clean.stdout == ""


def test_json_github_and_sarif_shapes(project: Path) -> None:
    write(project, {"a,b%.pspec": FINDINGS_DSL})
    data = json.loads(invoke("lint", "--format", "json").stdout)
    assert [set(f) for f in data] == [{"path", "line", "column", "end_line", "end_column", "code",
                                       "name", "severity", "message", "prompt", "fixable"}] * 3
    assert [(f["code"], f["name"], f["severity"], f["prompt"], f["fixable"]) for f in data] == [
        ("PS209", "aspect-ratio-with-size", "warning", "p", False),
        ("PS103", "out-of-range", "error", "p", False),
        ("PS103", "out-of-range", "error", "q", False)]
    gh = invoke("lint", "--format", "github").stdout.splitlines()
    assert gh[0].startswith("::warning file=a%2Cb%25.pspec,line=7,col=3,title=PS209::")
    assert gh[1].startswith("::error file=a%2Cb%25.pspec,line=8,col=16,title=PS103::")
    sarif = json.loads(invoke("lint", "--format", "sarif").stdout)
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert [(x["ruleId"], x["level"]) for x in results] == [
        ("PS209", "warning"), ("PS103", "error"), ("PS103", "error")]
    region = results[1]["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (8, 16)


def test_suppression_comments_codes_lists_and_bare(project: Path) -> None:
    write(project, {"a.pspec": """
        tune 1
        prompt p {
          text = "x"
          aspect_ratio = "2:3"  # promptspec: ignore[PS209]
          w = 512
          steps = 99  # promptspec: ignore[PS303,PS103]
          seed = -1  # promptspec: ignore
          num_images = 9  # promptspec: ignore[PS209]
        }
        """})
    assert positions("a.pspec") == [(8, 16, "PS103")]


@pytest.mark.parametrize("setting", [
    'select = "PS1"', "bogus = 1", 'max-requests = "x"', "max-requests = 0",
    'ignore = ["PS998"]', "base-url = 3"])
def test_invalid_configuration_is_exit_2_naming_the_file(
        project: Path, setting: str) -> None:
    write(project, {"a.pspec": 'tune 1\nprompt p {\n  text = "x"\n}\n'},
          f"[tool.promptspec]\n{setting}\n")
    r = invoke("lint", "a.pspec")
    assert r.exit_code == 2
    assert r.stdout == ""
    [line] = r.stderr.splitlines()
    assert "pyproject.toml" in line and "Traceback" not in line
    if "PS998" in setting:
        assert "PS998" in line  # a code matching no rule names the code


def test_configuration_keys_apply(project: Path) -> None:
    write(project, {"a.pspec": FINDINGS_DSL, "b.pspec": FINDINGS_DSL},
          '[tool.promptspec]\nselect = ["PS1", "PS2"]\n'
          'per-file-ignores = {"b.pspec" = ["PS103"]}\n')
    assert [f[2] for f in positions()] == ["PS209", "PS103", "PS103", "PS209"]
    assert [f[2] for f in positions("--select", "PS103")] == [
        "PS103", "PS103"]
    write(project, {"c.pspec": """
        tune 1
        prompt p {
          text = "x"
          sweep {
            seed = 1..11
          }
        }
        """}, "[tool.promptspec]\nmax-requests = 10\n")
    assert positions("c.pspec") == [(2, 8, "PS403")]
