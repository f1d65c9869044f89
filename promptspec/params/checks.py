"""Judging concrete values against the parameter tables: one value, one request.

The linter judges sets of values with these; the emulator judges each request it gets.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from typing import Any

from promptspec.params.table import (
    DEFAULT_PROFILE,
    FIRST_FRAMES,
    Param,
    Requirement,
    _num,
    requirements_for,
    table_for,
)

__all__ = [
    "check_item",
    "check_request",
    "check_value",
    "coerce",
    "did_you_mean",
    "is_file",
    "kind_text",
    "nearest_multiple",
    "non_finite",
    "requirement_fails",
    "type_name",
    "video_without_text",
]


def type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


_KIND_NAMES = {
    "data_url": "a data:image/...;base64, URL",
    "str": "a string", "int": "an integer", "float": "a number", "bool": "a boolean (true/false)",
    "url": "an http(s) URL string", "file": "file(...)", "enum": "one of the listed choices",
}


def is_file(value: object) -> bool:
    return isinstance(value, dict) and "file_sha256" in value


def check_value(p: Param, value: object) -> tuple[str, str] | None:
    """Judge one concrete value of parameter `p`: None if fine, else (code, message).

    Null is always fine (it means unset). URL checks (PS107) apply to rendered values.
    An array parameter takes a list, each item judged as one value of its kind.
    """
    if value is None:
        return None
    if not p.allowed:
        return ("PS205", f"{p.name} is only accepted in a tune's prompts_attributes, "
                         "not when creating a prompt")
    if p.array:
        if not isinstance(value, list | tuple):
            return ("PS102", f"{p.name} takes a list (each item {kind_text(p)}), got "
                             f"{type_name(value)} {value!r}")
        for item in value:
            bad = check_item(p, item)
            if bad is not None:
                return bad
        return None
    if isinstance(value, list | tuple):
        return ("PS102", f"{p.name} takes one value, not a list (a list is allowed only as a "
                         "sweep axis)")
    return check_item(p, value)


_DATA_URL = "data:image/"


def check_item(p: Param, value: object) -> tuple[str, str] | None:
    """One value of `p`'s kind (an item of an array parameter, or the whole value)."""
    if value is None:
        return None
    kind = p.kind
    if kind == "bool":
        if not isinstance(value, bool):
            return ("PS102", f"{p.name} must be a boolean (true/false), got {type_name(value)} "
                             f"{value!r}")
        return None
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return ("PS102", f"{p.name} must be an integer, got {type_name(value)} {value!r}")
    elif kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return ("PS102", f"{p.name} must be a number, got {type_name(value)} {value!r}")
    elif kind in ("str", "url"):
        if not isinstance(value, str):
            return ("PS102", f"{p.name} must be a string, got {type_name(value)} {value!r}")
        if kind == "url" and not value.startswith(("http://", "https://")):
            return ("PS107", f"{p.name} must be an http(s) URL, got {value!r}")
        if kind == "url" and len(value.split("://", 1)[1]) == 0:
            return ("PS107", f"{p.name} must be an http(s) URL, got {value!r}")
        if p.nonempty and not value.strip():
            return ("PS102", f"{p.name} must be a non-empty string")
        return None
    elif kind == "data_url":
        head, sep, _ = value.partition(",") if isinstance(value, str) else ("", "", "")
        if not (sep and head.startswith(_DATA_URL) and head.endswith(";base64")
                and len(head) > len(_DATA_URL) + len(";base64")):
            shown = value if not isinstance(value, str) or len(value) <= 40 else value[:40] + "…"
            return ("PS102", f"{p.name} must be a data:image/...;base64, URL, got "
                             f"{type_name(value)} {shown!r}")
        return None
    elif kind == "file":
        if not is_file(value):
            return ("PS102", f"{p.name} must be a file(...) reference, got {type_name(value)} "
                             f"{value!r}")
        return None
    elif kind == "enum":
        assert p.choices is not None
        if value in p.choices and type(value) in {type(c) for c in p.choices}:
            return None
        if isinstance(value, str):
            for c in p.choices:
                if isinstance(c, str) and c.lower() == value.lower():
                    return ("PS104", f"{p.name} {value!r} is not a valid choice; did you mean "
                                     f"{c!r}? (case matters)")
        choices = ", ".join(["null", *map(str, p.choices)] if p.nullable
                            else map(str, p.choices))
        hint = did_you_mean(str(value), [str(c) for c in p.choices])
        return ("PS104", f"{p.name} {value!r} is not one of: {choices}{hint}")
    # numeric bounds; a positive width that is not a multiple of 8 is PS105 (fixable), not PS103
    assert isinstance(value, int | float)
    if isinstance(value, float) and not math.isfinite(value):
        return non_finite(p.name, value)
    if p.multiple_of and isinstance(value, int) and value > 0 and value % p.multiple_of:
        near = nearest_multiple(value, p.multiple_of)
        return ("PS105", f"{p.name} {value} is not a multiple of {p.multiple_of} "
                         f"(nearest: {near})")
    below = p.minimum is not None and value < p.minimum
    if below or (p.maximum is not None and value > p.maximum):
        if p.maximum is None:
            return ("PS103", f"{p.name} {_num(float(value))} is out of range "
                             f"(at least {_num(p.minimum)})")
        return ("PS103", f"{p.name} {_num(float(value))} is out of range {p.range_text()}")
    return None


def non_finite(name: str, value: float) -> tuple[str, str]:
    """NaN is PS102 (not a number), an infinity PS103 (out of every range)."""
    if value != value:
        return ("PS102", f"{name} is NaN, which is not a number")
    return ("PS103", f"{name} {value} is out of range (not a finite number)")


def nearest_multiple(value: int, of: int) -> int:
    """The nearest multiple of `of` (ties go up), never below `of`: PS105's fix."""
    return max(of, (value + of // 2) // of * of)


def coerce(p: Param, value: Any) -> Any:
    """The parameter's documented type for an already-valid value (`7` -> `7.0`)."""
    if p.kind == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _set(params: Mapping[str, Any], name: str) -> bool:
    return params.get(name) is not None


def requirement_fails(req: Requirement, params: Mapping[str, Any]) -> bool:
    """Whether one concrete request breaks `req`."""
    v = params.get(req.field)
    if v is None or (req.when_true and v is not True):
        return False
    if req.conflicts:
        return any(_set(params, n) for n in req.needs)
    if req.needs_true:
        return not all(params.get(n) is True for n in req.needs)
    return not any(_set(params, n) for n in req.needs)


def check_request(params: Mapping[str, Any], profile: str = DEFAULT_PROFILE
                  ) -> list[tuple[str, str, str]]:
    """Judge one concrete request's params: a list of (code, field, message).

    The emulator's validation; the linter judges sets of values with the same table.
    """
    table = table_for(profile)
    out: list[tuple[str, str, str]] = []
    text = params.get("text")
    if text is None:
        if not video_without_text(params, profile):
            out.append(("PS106", "text", "text is required"))
    elif isinstance(text, str) and not text.strip():
        out.append(("PS306", "text", "text is empty"))
    for name, value in params.items():
        p = table.get(name)
        if p is None:
            out.append(("PS101", name, f"unknown parameter {name!r}"
                                       f"{did_you_mean(name, list(table))}"))
            continue
        bad = check_value(p, value)
        if bad:
            out.append((bad[0], name, bad[1]))
    for req in requirements_for(profile):
        if req.warning:
            continue  # the API accepts these
        if requirement_fails(req, params):
            out.append((req.code, req.field, req.message))
    return out


def video_without_text(params: Mapping[str, Any], profile: str = DEFAULT_PROFILE) -> bool:
    """A video prompt with a first frame, which needs no `text` (under `current`)."""
    return profile != "reference" and _set(params, "video_model") and any(
        _set(params, n) for n in FIRST_FRAMES)


def did_you_mean(word: str, candidates: list[str]) -> str:
    """`"; did you mean 'x'?"` for the closest candidate, or empty."""
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    if not close:
        low = {c.lower(): c for c in candidates}
        if word.lower() in low:
            close = [low[word.lower()]]
    return f"; did you mean {close[0]!r}?" if close else ""


def kind_text(p: Param) -> str:
    return _KIND_NAMES[p.kind]
