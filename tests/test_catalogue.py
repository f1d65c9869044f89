"""The rule catalogue: every published code registered as written (tests/data/rule_codes.txt),
its own examples behave, and the case files hold a bad and a good case of every code."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from casefiles import case_files, read_case
from conftest import CODE_TABLE

from promptspec import api
from promptspec.lint.rules import RULES, check
from promptspec.resolve import resolve

# Rules that one syntax cannot trigger, and why; every other code needs cases in both.
ONE_SYNTAX: dict[str, str] = {}

LOCK_CHECKED = {"PS408"}
"""Reported by `lock --check`, not by lint: the examples are checked against the lock
written for the good example, and the cases live with the lock's tests (test_review.py)."""


def test_every_published_code_is_registered_and_nothing_else() -> None:
    assert [r.code for r in api.rules()] == list(CODE_TABLE)


@pytest.mark.parametrize("code", list(CODE_TABLE))
def test_rule_metadata(code: str) -> None:
    rule, want = RULES[code], CODE_TABLE[code]
    assert rule.code == code
    assert (rule.name, rule.severity, rule.fixable) == (want.name, want.severity, want.fixable)
    assert rule.summary.strip() and "\n" not in rule.summary
    assert len(rule.explanation) > len(rule.summary)
    assert rule.bad.strip() and rule.good.strip() and rule.bad != rule.good
    assert rule.to_dict()["name"] == rule.name


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


@pytest.mark.parametrize("code", list(CODE_TABLE))
def test_the_rules_own_examples(code: str, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    """`promptspec rules CODE` shows a bad and a good example: they behave as shown."""
    assert code in _codes(tmp_path, code, RULES[code].bad, monkeypatch)
    assert code not in _codes(tmp_path, code, RULES[code].good, monkeypatch)


def test_every_code_has_a_bad_and_a_good_case_in_both_syntaxes() -> None:
    bad: dict[str, set[str]] = {}
    good: dict[str, set[str]] = {}
    for path in case_files():
        case = read_case(path)
        for e in case.expected:
            bad.setdefault(e.code, set()).add(case.syntax)
        for code, _ in case.ok:
            good.setdefault(code, set()).add(case.syntax)
    missing = []
    for rule in api.rules():
        if rule.code in LOCK_CHECKED:
            continue
        need = {ONE_SYNTAX[rule.code]} if rule.code in ONE_SYNTAX else {"dsl", "yaml"}
        for kind, have in (("bad", bad), ("good", good)):
            lacking = need - have.get(rule.code, set())
            if lacking:
                missing.append(f"{rule.code} {kind}: {', '.join(sorted(lacking))}")
    assert not missing, "case files lack: " + "; ".join(missing)
