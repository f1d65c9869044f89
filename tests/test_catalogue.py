"""The rule catalogue: every contract code registered as written, and its examples behave."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from promptspec import api
from promptspec.lint.rules import RULES, check
from promptspec.resolve import resolve

# The contract's table (CONTRACT.md section 5): code -> (name, severity).
CONTRACT = {
    "PS001": ("syntax-error", "error"),
    "PS002": ("duplicate-key", "error"),
    "PS003": ("import-error", "error"),
    "PS004": ("unknown-preset", "error"),
    "PS005": ("preset-cycle", "error"),
    "PS006": ("duplicate-name", "error"),
    "PS007": ("invalid-structure", "error"),
    "PS101": ("unknown-parameter", "error"),
    "PS102": ("wrong-type", "error"),
    "PS103": ("out-of-range", "error"),
    "PS104": ("invalid-choice", "error"),
    "PS105": ("not-multiple-of-8", "error"),
    "PS106": ("missing-text", "error"),
    "PS107": ("invalid-url", "error"),
    "PS108": ("missing-tune", "error"),
    "PS109": ("file-not-found", "error"),
    "PS201": ("inpaint-faces-requires-super-resolution", "error"),
    "PS202": ("hires-fix-requires-super-resolution", "error"),
    "PS203": ("controlnet-requires-input-image", "error"),
    "PS204": ("mask-requires-input-image", "error"),
    "PS205": ("lora-scale-not-allowed", "error"),
    "PS206": ("conflicting-inputs", "error"),
    "PS207": ("img2img-parameter-without-input", "warning"),
    "PS208": ("controlnet-parameter-without-controlnet", "warning"),
    "PS209": ("aspect-ratio-with-size", "warning"),
    "PS301": ("template-syntax-error", "error"),
    "PS302": ("undefined-variable", "error"),
    "PS303": ("unused-variable", "warning"),
    "PS304": ("weights-without-lpw", "warning"),
    "PS305": ("unbalanced-brackets", "warning"),
    "PS306": ("empty-text", "error"),
    "PS401": ("zip-length-mismatch", "error"),
    "PS402": ("empty-axis", "error"),
    "PS403": ("sweep-too-large", "warning"),
    "PS404": ("duplicate-request", "warning"),
    "PS405": ("axis-overrides-field", "warning"),
    "PS406": ("unknown-axis", "error"),
    "PS407": ("invalid-range", "error"),
    "PS408": ("stale-lock", "error"),
}
FIXABLE = {"PS104", "PS105", "PS201", "PS202"}


def test_every_contract_code_is_registered_and_nothing_else() -> None:
    assert set(RULES) == set(CONTRACT)


@pytest.mark.parametrize("code", sorted(CONTRACT))
def test_rule_metadata(code: str) -> None:
    rule = RULES[code]
    assert rule.code == code
    assert (rule.name, rule.severity) == CONTRACT[code]
    assert rule.summary.strip() and "\n" not in rule.summary
    assert len(rule.explanation) > len(rule.summary)
    assert rule.bad.strip() and rule.good.strip() and rule.bad != rule.good
    assert rule.fixable == (code in FIXABLE)
    assert rule.to_dict()["name"] == rule.name


LOCK_CHECKED = {"PS408"}
"""Reported by `lock --check`, not by lint: the examples are checked against the lock
written for the good example."""


def _codes(tmp_path: Path, code: str, text: str, monkeypatch: pytest.MonkeyPatch) -> set[str]:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    spec = tmp_path / "example.pspec"
    if code in LOCK_CHECKED:
        monkeypatch.chdir(tmp_path)
        spec.write_text(RULES[code].good, encoding="utf-8")
        api.lock()
        spec.write_text(text, encoding="utf-8")
        return {d.code for d in api.check_lock()}
    spec.write_text(text, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a crashing rule fails the test
        return {d.code for d in check(resolve(str(spec)))}


@pytest.mark.parametrize("code", sorted(CONTRACT))
def test_bad_example_triggers_the_rule(code: str, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    assert code in _codes(tmp_path, code, RULES[code].bad, monkeypatch)


@pytest.mark.parametrize("code", sorted(CONTRACT))
def test_good_example_does_not(code: str, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    assert code not in _codes(tmp_path, code, RULES[code].good, monkeypatch)
