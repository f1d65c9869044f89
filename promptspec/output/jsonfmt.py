"""`--format json`: one JSON array of `Diagnostic.to_dict(name)` objects."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TextIO

from promptspec.diagnostics import Diagnostic
from promptspec.lint.rules import RULES

__all__ = ["write_json"]


def rule_name(code: str) -> str:
    rule = RULES.get(code)
    return rule.name if rule is not None else ""


def write_json(diagnostics: Sequence[Diagnostic], out: TextIO) -> None:
    items = [d.to_dict(rule_name(d.code)) for d in diagnostics]
    out.write(json.dumps(items, indent=2, ensure_ascii=False) + "\n")
