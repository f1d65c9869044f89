"""Judging concrete values against the parameter tables: one value, one request.

The linter judges sets of values with these; the emulator judges each request it gets.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from promptspec.diagnostics import Code
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


def check_value(p: Param, value: object) -> tuple[Code, str] | None:
    """Judge one concrete value of parameter `p`: None if fine, else (code, message).

    Null is always fine (it means unset). URL checks (PS107) apply to rendered values.
    An array parameter takes a list, each item judged as one value of its kind.
    """
    if value is None:
        return None
    if not p.allowed:
        return (Code.LORA_SCALE_NOT_ALLOWED,
                f"{p.name} is only accepted in a tune's prompts_attributes, "
                "not when creating a prompt")
    if p.array:
        if not isinstance(value, list | tuple):
            return (Code.WRONG_TYPE, f"{p.name} takes a list (each item {kind_text(p)}), got "
                                     f"{type_name(value)} {value!r}")
        for item in value:
            bad = check_item(p, item)
            if bad is not None:
                return bad
        return None
    if isinstance(value, list | tuple):
        return (Code.WRONG_TYPE,
                f"{p.name} takes one value, not a list (a list is allowed only as a "
                "sweep axis)")
    return check_item(p, value)


_DATA_URL = "data:image/"


def _is_data_url(value: object) -> bool:
    head, sep, _ = value.partition(",") if isinstance(value, str) else ("", "", "")
    return bool(sep and head.startswith(_DATA_URL) and head.endswith(";base64")
                and len(head) > len(_DATA_URL) + len(";base64"))


def _is_str(value: object) -> bool:
    return isinstance(value, str)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_bool(value: object) -> bool:
    return isinstance(value, bool)


_TYPES: dict[str, tuple[Callable[[object], bool], str]] = {
    # kind: (does a value have it, what the message says a value must be)
    "bool": (_is_bool, "a boolean (true/false)"),
    "int": (_is_int, "an integer"),
    "float": (_is_number, "a number"),
    "str": (_is_str, "a string"),
    "url": (_is_str, "a string"),
    "data_url": (_is_data_url, "a data:image/...;base64, URL"),
    "file": (is_file, "a file(...) reference"),
}


def _shown(p: Param, value: object) -> object:
    """The value as a message shows it: a data URL's first 40 characters."""
    if p.kind == "data_url" and isinstance(value, str) and len(value) > 40:
        return value[:40] + "…"
    return value


def check_item(p: Param, value: object) -> tuple[Code, str] | None:
    """One value of `p`'s kind (an item of an array parameter, or the whole value)."""
    if value is None:
        return None
    if p.kind == "enum":
        return _choice_problem(p, value)
    has_kind, must_be = _TYPES[p.kind]
    if not has_kind(value):
        return (Code.WRONG_TYPE,
                f"{p.name} must be {must_be}, got {type_name(value)} {_shown(p, value)!r}")
    if isinstance(value, str) and p.kind in ("str", "url"):
        return _text_problem(p, value)
    if isinstance(value, int | float) and p.numeric:
        return _bound_problem(p, value)
    return None


def _text_problem(p: Param, value: str) -> tuple[Code, str] | None:
    if p.kind == "url" and not (value.startswith(("http://", "https://"))
                                and value.split("://", 1)[1]):
        return (Code.INVALID_URL, f"{p.name} must be an http(s) URL, got {value!r}")
    if p.nonempty and not value.strip():
        return (Code.WRONG_TYPE, f"{p.name} must be a non-empty string")
    return None


def _choice_problem(p: Param, value: object) -> tuple[Code, str] | None:
    assert p.choices is not None
    if value in p.choices and type(value) in {type(c) for c in p.choices}:
        return None
    if isinstance(value, str):
        for c in p.choices:
            if isinstance(c, str) and c.lower() == value.lower():
                return (Code.INVALID_CHOICE,
                        f"{p.name} {value!r} is not a valid choice; did you mean "
                        f"{c!r}? (case matters)")
    choices = ", ".join(["null", *map(str, p.choices)] if p.nullable else map(str, p.choices))
    hint = did_you_mean(str(value), [str(c) for c in p.choices])
    return (Code.INVALID_CHOICE, f"{p.name} {value!r} is not one of: {choices}{hint}")


def _bound_problem(p: Param, value: float) -> tuple[Code, str] | None:
    """Numeric bounds; a positive width that is not a multiple of 8 is PS105 (fixable),
    not PS103; a value that is not finite is PS102 or PS103."""
    if isinstance(value, float) and not math.isfinite(value):
        return non_finite(p.name, value)
    if p.multiple_of and isinstance(value, int) and value > 0 and value % p.multiple_of:
        near = nearest_multiple(value, p.multiple_of)
        return (Code.NOT_MULTIPLE_OF_8,
                f"{p.name} {value} is not a multiple of {p.multiple_of} (nearest: {near})")
    below = p.minimum is not None and value < p.minimum
    if not (below or (p.maximum is not None and value > p.maximum)):
        return None
    if p.maximum is None:
        return (Code.OUT_OF_RANGE,
                f"{p.name} {_num(float(value))} is out of range (at least {_num(p.minimum)})")
    return (Code.OUT_OF_RANGE, f"{p.name} {_num(float(value))} is out of range {p.range_text()}")


def non_finite(name: str, value: float) -> tuple[Code, str]:
    """NaN is PS102 (not a number), an infinity PS103 (out of every range)."""
    if value != value:
        return (Code.WRONG_TYPE, f"{name} is NaN, which is not a number")
    return (Code.OUT_OF_RANGE, f"{name} {value} is out of range (not a finite number)")


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
                  ) -> list[tuple[Code, str, str]]:
    """Judge one concrete request's params: a list of (code, field, message).

    The emulator's validation; the linter judges sets of values with the same table.
    """
    table = table_for(profile)
    out: list[tuple[Code, str, str]] = []
    text = params.get("text")
    if text is None:
        if not video_without_text(params, profile):
            out.append((Code.MISSING_TEXT, "text", "text is required"))
    elif isinstance(text, str) and not text.strip():
        out.append((Code.EMPTY_TEXT, "text", "text is empty"))
    for name, value in params.items():
        p = table.get(name)
        if p is None:
            out.append((Code.UNKNOWN_PARAMETER, name,
                        f"unknown parameter {name!r}{did_you_mean(name, list(table))}"))
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


def did_you_mean(word: str, candidates: list[str], prefix: str = "") -> str:
    """`"; did you mean 'x'?"` for the closest candidate (shown after `prefix`), or empty."""
    import difflib  # only when a name is wrong: not on every lint's import path

    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    if not close:
        low = {c.lower(): c for c in candidates}
        if word.lower() in low:
            close = [low[word.lower()]]
    return f"; did you mean {prefix + close[0]!r}?" if close else ""


def kind_text(p: Param) -> str:
    return _KIND_NAMES[p.kind]
