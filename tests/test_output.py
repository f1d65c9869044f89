"""Output formats on hand-built findings: text, summary, JSON, GitHub commands, SARIF
(validated against the SARIF 2.1.0 schema, with repository-relative URIs)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from promptspec.diagnostics import Diagnostic, Edit
from promptspec.lint.rules import RULES
from promptspec.model import Span
from promptspec.output import FORMATS, write
from promptspec.output.github import escape_data, escape_property
from promptspec.output.sarif import sarif_log
from promptspec.output.text import statistics, summary

SARIF_SCHEMA = Path(__file__).resolve().parent / "data" / "sarif-2.1.0.schema.json"


def findings(prefix: str = "specs") -> list[Diagnostic]:
    return [
        Diagnostic("PS103", "num_images is 9; allowed 1-8", Span(f"{prefix}/a.pspec", 5, 16, 5, 17),
                   "a"),
        Diagnostic("PS209", "aspect_ratio with w, set in preset square",
                   Span(f"{prefix}/a.pspec", 8, 3, 8, 4), "b", severity="warning"),
        Diagnostic("PS105", "w is 500; use 496 or 504", Span(f"{prefix}/b.pspec.yaml", 3, 8, 3, 11),
                   "c", fix=(Edit(3, 8, 3, 11, "504"),)),
    ]


def render(fmt: str, diags: list[Diagnostic]) -> str:
    out = io.StringIO()
    write(fmt, diags, out)
    return out.getvalue()


def test_text_lines() -> None:
    assert render("text", findings()).splitlines() == [
        "specs/a.pspec:5:16: PS103 num_images is 9; allowed 1-8",
        "specs/a.pspec:8:3: PS209 aspect_ratio with w, set in preset square",
        "specs/b.pspec.yaml:3:8: PS105 w is 500; use 496 or 504",
    ]
    assert render("text", []) == ""


def test_summary_plurals() -> None:
    assert summary(findings()) == "Found 2 errors, 1 warning."
    assert summary(findings()[:1]) == "Found 1 error, 0 warnings."
    assert summary([]) == "All checks passed."


def test_statistics_most_frequent_first() -> None:
    rows = statistics([*findings(), findings()[1]])
    assert [(r["code"], r["count"], r["fixable"]) for r in rows] == [
        ("PS209", 2, False), ("PS103", 1, False), ("PS105", 1, True)]


def test_json_objects() -> None:
    items = json.loads(render("json", findings()))
    assert items[2] == {
        "path": "specs/b.pspec.yaml", "line": 3, "column": 8, "end_line": 3, "end_column": 11,
        "code": "PS105", "name": RULES["PS105"].name, "severity": "error",
        "message": "w is 500; use 496 or 504", "prompt": "c", "fixable": True,
    }
    assert json.loads(render("json", [])) == []


def test_github_escaping() -> None:
    assert escape_data("100%\r\nok: a,b") == "100%25%0D%0Aok: a,b"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"
    lines = render("github", findings()).splitlines()
    assert lines[1] == ("::warning file=specs/a.pspec,line=8,col=3,title=PS209::"
                        "aspect_ratio with w, set in preset square")


@pytest.fixture(scope="module")
def sarif_validator() -> Any:
    schema = json.loads(SARIF_SCHEMA.read_text())
    return jsonschema.validators.validator_for(schema)(schema)


def test_sarif_is_schema_valid_and_complete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            sarif_validator: Any) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "specs").mkdir()
    monkeypatch.chdir(tmp_path / "specs")
    log = json.loads(render("sarif", findings("..")))
    sarif_validator.validate(log)
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "promptspec" and driver["version"] and driver["informationUri"]
    assert [r["id"] for r in driver["rules"]] == sorted(RULES)
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning")
    first, second, third = run["results"]
    assert driver["rules"][first["ruleIndex"]]["id"] == "PS103"
    assert (first["level"], second["level"]) == ("error", "warning")
    loc = third["locations"][0]["physicalLocation"]
    # repository-relative (from the .git folder's place), forward slashes
    assert loc["artifactLocation"] == {"uri": "b.pspec.yaml", "uriBaseId": "%SRCROOT%"}
    assert loc["region"] == {"startLine": 3, "startColumn": 8, "endLine": 3, "endColumn": 11}
    assert all(r["partialFingerprints"] for r in run["results"])


def test_sarif_uri_from_a_subfolder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    sarif_validator: Any) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "deep" / "er").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "deep")
    d = Diagnostic("PS101", "unknown parameter 'x y'", Span("er/my spec.pspec", 1, 1, 1, 2))
    log = sarif_log([d])
    sarif_validator.validate(log)
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri["uri"] == "deep/er/my%20spec.pspec"


def test_every_format_writes_only_findings() -> None:
    for fmt in FORMATS:
        assert "Found" not in render(fmt, findings())
