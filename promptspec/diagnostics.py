"""Diagnostics: plain frozen data that every stage returns and every output format reads.

A stage creates a `Diagnostic` with its code, message and span; the lint engine applies
severity from the rule catalogue and configuration. Diagnostics sort by
(path, line, column, code), never by message text.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

from promptspec.model import Span, record

__all__ = ["Diagnostic", "Edit", "Severity", "sort_key"]

Severity = Literal["error", "warning"]


@record
class Edit:
    """Replace the source text between two 1-based (line, column) places with `text`.

    An insertion has `end == start`. Used by `--fix`; both syntaxes apply edits as text,
    so comments and layout survive.
    """

    line: int
    column: int
    end_line: int
    end_column: int
    text: str


@record
class Diagnostic:
    code: str
    message: str
    span: Span
    prompt: str | None = None
    severity: Severity = "error"
    fix: tuple[Edit, ...] | None = None

    @property
    def fixable(self) -> bool:
        return self.fix is not None

    def with_severity(self, severity: Severity) -> Diagnostic:
        return replace(self, severity=severity)

    def to_dict(self, name: str = "") -> dict[str, Any]:
        s = self.span
        return {
            "path": s.path,
            "line": s.line,
            "column": s.column,
            "end_line": s.end_line,
            "end_column": s.end_column,
            "code": self.code,
            "name": name,
            "severity": self.severity,
            "message": self.message,
            "prompt": self.prompt,
            "fixable": self.fixable,
        }

    def __str__(self) -> str:
        return f"{self.span}: {self.code} {self.message}"


def sort_key(d: Diagnostic) -> tuple[str, int, int, str]:
    return (d.span.path, d.span.line, d.span.column, d.code)
