"""Turn a create request's fields into typed API parameters and judge them like the linter.

Multipart values arrive as strings: each is converted to its parameter's type from the one
parameter table (`promptspec.params.PARAMS`), then the whole request goes through
`params.check_request`. The result is either typed params or a 422 body
`{"field": ["message", ...]}`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from promptspec.params import DEFAULT_PROFILE, PARAMS, check_request, coerce

__all__ = ["Errors", "convert_form_value", "validate"]

Errors = dict[str, list[str]]

_MAX_DIGITS = 30  # every integer parameter fits; a longer text is never converted
_INT = re.compile(r"[+-]?\d+")
_NULLS = ("", "null")


def convert_form_value(name: str, raw: str) -> tuple[Any, str | None]:
    """A multipart string as its parameter's type: (value, None) or (None, message)."""
    p = PARAMS.get(name)
    if p is None or p.kind in ("str", "url", "data_url"):
        return raw, None
    text = raw.strip()
    if p.kind == "bool":
        low = text.lower()
        if low in ("true", "1"):
            return True, None
        if low in ("false", "0"):
            return False, None
        return None, f"{name} must be a boolean (true/false), got {raw!r}"
    if p.kind == "int":
        if _INT.fullmatch(text) and len(text) <= _MAX_DIGITS:
            return int(text), None
        return None, f"{name} must be an integer, got {raw!r}"
    if p.kind == "float":
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if math.isfinite(number):
            return number, None
        return None, f"{name} must be a number, got {raw!r}"
    if p.kind == "enum":
        assert p.choices is not None
        if text in _NULLS and p.nullable:
            return None, None
        if all(isinstance(c, int) for c in p.choices) and _INT.fullmatch(text) \
                and len(text) <= _MAX_DIGITS:
            return int(text), None
        return raw, None
    # kind == "file": a plain field where a file part belongs
    return None, f"{name} must be uploaded as a multipart file part"


def validate(
    params: Mapping[str, Any], errors: Errors | None = None, profile: str = DEFAULT_PROFILE
) -> tuple[dict[str, Any], Errors]:
    """Check typed params (None values mean unset and are dropped) with the table of the
    API profile.

    Returns (params with documented types, errors); errors is empty when the request is
    accepted. Warning-family findings (PS207-PS209) do not refuse a request.
    """
    errors = {k: list(v) for k, v in (errors or {}).items()}
    clean = {k: v for k, v in params.items() if v is not None}
    for _code, name, message in check_request(clean, profile):
        errors.setdefault(name, []).append(message)
    typed = {k: coerce(PARAMS[k], v) if k in PARAMS else v for k, v in clean.items()}
    return typed, errors
