"""The rule catalogue: one explicit registry of rule metadata that refuses duplicate codes.

Each rule module calls `register(Rule(...))` at import; `promptspec.lint.rules` imports every
rule module explicitly. The engine, not the rule, attaches severity to diagnostics.
"""

from __future__ import annotations

from promptspec.diagnostics import Severity
from promptspec.model import record

__all__ = ["RULES", "Rule", "register", "rules_for"]


@record
class Rule:
    code: str
    name: str
    severity: Severity
    summary: str
    explanation: str
    bad: str
    """A DSL spec that triggers the rule (the meta-test runs it)."""
    good: str
    """The same spec, mended (the meta-test runs it and expects no finding of this code)."""
    fixable: bool = False
    profiles: tuple[str, ...] = ("current", "reference")
    """The API profiles under which the rule runs (and `promptspec rules` lists it)."""

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "summary": self.summary,
            "explanation": self.explanation,
            "fixable": self.fixable,
        }


RULES: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    if rule.code in RULES:
        raise ValueError(f"rule {rule.code} registered twice")
    RULES[rule.code] = rule
    return rule


def rules_for(profile: str) -> dict[str, Rule]:
    """The rules that run under an API profile, by code."""
    return {c: r for c, r in RULES.items() if profile in r.profiles}
