"""Diagnostics: plain frozen data that every stage returns and every output format reads.

A stage creates a `Diagnostic` with its `Code`, message and span; the lint engine applies
severity from the rule catalogue (`promptspec.lint.rules`, keyed by code) and configuration.
Diagnostics sort by (path, line, column, code), never by message text.
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum
from typing import Any, Literal

from promptspec.model import Span, record

__all__ = ["Code", "Diagnostic", "Edit", "Severity", "sort_key"]

Severity = Literal["error", "warning"]


class Code(StrEnum):
    """Every rule's identity: the published code, and (as the member's name) the rule's name.

    Every stage reports with these, so a mistyped code is an error to the type checker and
    at import. A member is a `str` equal to its code, so outputs print the code itself.
    """

    SYNTAX_ERROR = "PS001"
    DUPLICATE_KEY = "PS002"
    IMPORT_ERROR = "PS003"
    UNKNOWN_PRESET = "PS004"
    PRESET_CYCLE = "PS005"
    DUPLICATE_NAME = "PS006"
    INVALID_STRUCTURE = "PS007"
    UNKNOWN_PARAMETER = "PS101"
    WRONG_TYPE = "PS102"
    OUT_OF_RANGE = "PS103"
    INVALID_CHOICE = "PS104"
    NOT_MULTIPLE_OF_8 = "PS105"
    MISSING_TEXT = "PS106"
    INVALID_URL = "PS107"
    MISSING_TUNE = "PS108"
    FILE_NOT_FOUND = "PS109"
    UNKNOWN_FLAG = "PS110"
    INVALID_FLAG_VALUE = "PS111"
    INVALID_TOKEN = "PS112"
    INPAINT_FACES_REQUIRES_SUPER_RESOLUTION = "PS201"
    HIRES_FIX_REQUIRES_SUPER_RESOLUTION = "PS202"
    CONTROLNET_REQUIRES_INPUT_IMAGE = "PS203"
    MASK_REQUIRES_INPUT_IMAGE = "PS204"
    LORA_SCALE_NOT_ALLOWED = "PS205"
    CONFLICTING_INPUTS = "PS206"
    IMG2IMG_PARAMETER_WITHOUT_INPUT = "PS207"
    CONTROLNET_PARAMETER_WITHOUT_CONTROLNET = "PS208"
    ASPECT_RATIO_WITH_SIZE = "PS209"
    FLAG_REQUIREMENT = "PS210"
    IGNORED_BY_FAMILY = "PS211"
    FAMILY_LIMIT = "PS212"
    FACEID_WITHOUT_CLASS = "PS213"
    TEMPLATE_SYNTAX_ERROR = "PS301"
    UNDEFINED_VARIABLE = "PS302"
    UNUSED_VARIABLE = "PS303"
    WEIGHTS_WITHOUT_LPW = "PS304"
    UNBALANCED_BRACKETS = "PS305"
    EMPTY_TEXT = "PS306"
    ZIP_LENGTH_MISMATCH = "PS401"
    EMPTY_AXIS = "PS402"
    SWEEP_TOO_LARGE = "PS403"
    DUPLICATE_REQUEST = "PS404"
    AXIS_OVERRIDES_FIELD = "PS405"
    UNKNOWN_AXIS = "PS406"
    INVALID_RANGE = "PS407"
    STALE_LOCK = "PS408"

    @property
    def rule_name(self) -> str:
        """The rule's kebab-case name, as `promptspec rules` publishes it."""
        return self.name.lower().replace("_", "-")


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
    code: Code
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
