"""Single-field judgments (PS101-PS105, PS107 on constants, PS109, PS205, tune): each value once.

Every field of every preset and prompt of the file is judged where it is written; an
axis is judged from its distinct written values, or from a range's first, second and
last values (a range is uniform in type and monotonic, so these decide every rule).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from promptspec.axes import AxisError, NumRange, item_span
from promptspec.diagnostics import Code, Edit
from promptspec.lint.rules._context import Context
from promptspec.lint.rules._value_sets import RandomInts, lint_axis_values
from promptspec.model import Field, FileRef, ListValue, Literal, RandomValue, RangeValue, Span
from promptspec.params import (
    FAMILY,
    PARAMS,
    TUNE,
    Param,
    check_item,
    check_value,
    did_you_mean,
    kind_text,
    nearest_multiple,
    non_finite,
    type_name,
)
from promptspec.params.flags import FAMILIES

__all__ = ["judge_axis", "judge_field", "judge_var"]

_LAZY = (NumRange, RandomInts)  # a tuple: `X | Y` builds a union at every call

_SHAPES: dict[type, str] = {ListValue: "a list", RangeValue: "a range", RandomValue: "random()"}


def _shape(value: object) -> str:
    return _SHAPES.get(type(value), "this value")


def _tune_problem(value: Any) -> tuple[Code, str] | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        return (Code.WRONG_TYPE,
                f"tune must be a positive integer (a tune id), got {type_name(value)} "
                f"{value!r}")
    if value < 1:
        return (Code.OUT_OF_RANGE,
                f"tune {value} is out of range (a tune id is a positive integer)")
    return None


def _refused(p: Param) -> tuple[Code, str]:
    """The PS205 finding of a parameter the endpoint refuses, whatever its value."""
    bad = check_value(p, 0.0)
    assert bad is not None
    return bad


def _not_finite(name: str, value: Any) -> tuple[Code, str] | None:
    if isinstance(value, float) and not math.isfinite(value):
        return non_finite(name, value)
    return None


_JUDGED: dict[tuple[int, type, Any], tuple[Param | None, tuple[Code, str] | None]] = {}
"""Judgments by (parameter, the value's type, the value), each with its parameter (which
keeps its id from being reused): a value is judged once per process however many files
and prompts write it."""


def _judge(p: Param | None, value: Any) -> tuple[Code, str] | None:
    """One concrete value of parameter `p` (None: the tune)."""
    t = type(value)
    key = (id(p), t, repr(value) if t is float else value)
    try:
        found = _JUDGED.get(key)
    except TypeError:  # an unhashable value: judged each time
        return _judge_once(p, value)
    if found is not None and found[0] is p:
        return found[1]
    if len(_JUDGED) > 8192:
        _JUDGED.clear()
    bad = _judge_once(p, value)
    _JUDGED[key] = (p, bad)
    return bad


def _judge_once(p: Param | None, value: Any) -> tuple[Code, str] | None:
    if p is None:
        return _tune_problem(value)
    if p.template and isinstance(value, str) and "{" in value:
        return None  # a template: PS107 is judged on the rendered value, per prompt
    return check_value(p, value)


def _fix(ctx: Context, p: Param | None, lit: Literal, code: Code) -> tuple[Edit, ...] | None:
    s = lit.span
    if p is None or s.line != s.end_line:
        return None
    if code == Code.NOT_MULTIPLE_OF_8 and p.multiple_of and isinstance(lit.value, int):
        new = str(nearest_multiple(lit.value, p.multiple_of))
        return (Edit(s.line, s.column, s.end_line, s.end_column, new),)
    if code == Code.INVALID_CHOICE and isinstance(lit.value, str) and p.choices:
        match = [c for c in p.choices if isinstance(c, str) and c.lower() == lit.value.lower()]
        old = ctx.source_of(s)
        if match and lit.value in old:
            return (Edit(s.line, s.column, s.end_line, s.end_column,
                         old.replace(lit.value, match[0], 1)),)
    return None


def _report(ctx: Context, bad: tuple[Code, str], span: Span, prompt: str | None,
            name_span: Span, fix: tuple[Edit, ...] | None = None) -> None:
    code, message = bad
    where = name_span if code == Code.LORA_SCALE_NOT_ALLOWED else span
    ctx.report(code, message, where, prompt, fix if code in (Code.INVALID_CHOICE,
                                                             Code.NOT_MULTIPLE_OF_8) else None)


def _family_problem(value: Any) -> tuple[Code, str] | None:
    if value is None:
        return None
    if not isinstance(value, str):
        return (Code.WRONG_TYPE, f"family must be a string (one of: {', '.join(FAMILIES)}), got "
                                 f"{type_name(value)} {value!r}")
    if value not in FAMILIES:
        hint = did_you_mean(value, list(FAMILIES))
        return (Code.INVALID_CHOICE, f"family {value!r} is not one of: {', '.join(FAMILIES)}{hint}")
    return None


def _judge_file(ctx: Context, p: Param | None, name: str, ref: FileRef, prompt: str | None
                ) -> None:
    if p is None or p.kind != "file":
        what = "tune" if p is None else f"{name} must be {kind_text(p)},"
        files = ", ".join(n for n, q in ctx.table.items() if q.kind == "file")
        ctx.report(Code.WRONG_TYPE, f"{what} got file({ref.path!r}); file(...) is only for "
                                    f"{files}", ref.span, prompt)
        return
    why = ctx.is_file_in_root(ref.path)
    if why is not None:
        ctx.report(Code.FILE_NOT_FOUND, why, ref.span, prompt)


def _judge_family(ctx: Context, f: Field, prompt: str | None) -> None:
    v = f.value
    if isinstance(v, Literal):
        bad = _family_problem(v.value)
        if bad is not None:
            ctx.report(bad[0], bad[1], v.span, prompt)
    else:
        ctx.report(Code.WRONG_TYPE, f"family: {_shape(v)} is allowed only as a sweep axis", v.span,
                   prompt)


def _judge_items(ctx: Context, p: Param, v: ListValue, prompt: str | None) -> None:
    """The items of an array parameter's list, each at its own place."""
    for item in v.items:
        if isinstance(item, FileRef):
            _judge_file(ctx, p, p.name, item, prompt)
            continue
        if isinstance(item, ListValue):
            ctx.report(Code.WRONG_TYPE, f"{p.name}: a list item must be one value, not a list",
                       item.span, prompt)
            continue
        bad = check_item(p, item.value)
        if bad is None and item.value is None:
            bad = (Code.WRONG_TYPE, f"{p.name}: a list item must not be null")
        if bad is not None:
            ctx.report(bad[0], bad[1], item.span, prompt)


def judge_field(ctx: Context, f: Field, prompt: str | None) -> None:
    """A field of a preset or prompt body (or the file's `tune` or `family`)."""
    if f.name == FAMILY:
        _judge_family(ctx, f, prompt)
        return
    table = ctx.table
    if f.name != TUNE and f.name not in table:
        if f.name in PARAMS:  # known to the current API, not to this profile
            hint = (f" under the {ctx.profile!r} API profile; it is a parameter of the current "
                    "API (api = \"current\")")
        else:
            hint = did_you_mean(f.name, [*table, TUNE, FAMILY])
        ctx.report(Code.UNKNOWN_PARAMETER,
                   f"unknown parameter {f.name!r}{hint}", f.name_span, prompt)
        return
    p = table.get(f.name)
    v = f.value
    if type(v) is Literal:  # the common case: one written value
        bad = _judge(p, v.value)
        if bad is not None:
            _report(ctx, bad, v.span, prompt, f.name_span, _fix(ctx, p, v, bad[0]))
        return
    if p is not None and p.array and isinstance(v, ListValue):
        _judge_items(ctx, p, v, prompt)
        return
    if isinstance(v, FileRef) and p is not None and p.array:
        ctx.report(Code.WRONG_TYPE,
                   f"{f.name} takes a list: write [file(...), ...]", v.span, prompt)
    elif isinstance(v, FileRef):
        if p is not None and not p.allowed:
            _report(ctx, _refused(p), v.span, prompt, f.name_span)
            return
        _judge_file(ctx, p, f.name, v, prompt)
    elif isinstance(v, Literal):
        bad = _judge(p, v.value)
        if bad is not None:
            _report(ctx, bad, v.span, prompt, f.name_span, _fix(ctx, p, v, bad[0]))
    else:
        ctx.report(Code.WRONG_TYPE,
                   f"{f.name}: {_shape(v)} is allowed only as a sweep axis", v.span,
                   prompt)


def judge_var(ctx: Context, f: Field, prompt: str | None) -> None:
    v = f.value
    if isinstance(v, FileRef):
        ctx.report(Code.WRONG_TYPE, f"var {f.name!r}: file(...) is only for input_image and "
                                    "mask_image", v.span, prompt)
    elif not isinstance(v, Literal):
        ctx.report(Code.WRONG_TYPE, f"var {f.name!r}: {_shape(v)} is allowed only as a sweep axis",
                   v.span, prompt)
    elif isinstance(v.value, float):
        bad = _not_finite(f"var {f.name!r}", v.value)
        if bad is not None:
            ctx.report(bad[0], bad[1], v.span, prompt)


def _range_candidates(p: Param | None, values: NumRange | RandomInts) -> list[Any]:
    if isinstance(values, RandomInts):
        return [values.lo, values.hi, values.lo + 1]
    n = len(values)
    if p is not None and p.kind == "enum":
        return [values[i] for i in range(min(n, len(p.choices or ()) + 1))]
    picks = {0, n - 1, min(1, n - 1)}
    return [values[i] for i in sorted(picks)]


def judge_axis(ctx: Context, f: Field, prompt: str) -> None:
    """The values of one sweep axis that is a parameter (or the tune, or the family)."""
    if f.name == FAMILY:
        _judge_family_axis(ctx, f, prompt)
        return
    p = ctx.table.get(f.name)
    if isinstance(f.value, ListValue) and not (p is not None and p.array):
        _report_list_points(ctx, f, f.value, prompt)
    if p is None and f.name != TUNE:
        _var_axis(ctx, f, prompt)  # PS406 judges whether a template reads it
        return
    if p is not None and not p.allowed:
        _report(ctx, _refused(p), f.value.span, prompt, f.name_span)
    elif p is not None and p.array and isinstance(f.value, ListValue):
        _judge_array_axis(ctx, p, f, f.value, prompt)
    else:
        values = ctx.axis_values.get(id(f))
        if values is None:
            values = lint_axis_values(f, prompt)
        if isinstance(values, _LAZY):
            _judge_range(ctx, p, f, values, prompt)
        elif not isinstance(values, AxisError):  # PS407 / PS007: the sweeps family's
            _judge_values(ctx, p, f, values, prompt)


def _judge_family_axis(ctx: Context, f: Field, prompt: str) -> None:
    if not isinstance(f.value, ListValue):
        return
    for i, item in enumerate(f.value.items):
        value = item.value if isinstance(item, Literal) else (
            item.path if isinstance(item, FileRef) else [])
        bad = _family_problem(value)
        if bad is not None:
            ctx.report(bad[0], bad[1], item_span(f.value, i), prompt)


def _report_list_points(ctx: Context, f: Field, axis: ListValue, prompt: str) -> None:
    """A list as a sweep point of a parameter that is not an array."""
    for item in axis.items:
        if isinstance(item, ListValue):
            ctx.report(Code.WRONG_TYPE,
                       f"{f.name}: a list as a sweep point is only for an array "
                       "parameter (image_references, image_reference_urls)",
                       item.span, prompt)


def _judge_array_axis(ctx: Context, p: Param, f: Field, axis: ListValue, prompt: str) -> None:
    for i, item in enumerate(axis.items):
        if isinstance(item, ListValue):
            _judge_items(ctx, p, item, prompt)
        else:
            ctx.report(Code.WRONG_TYPE,
                       f"{f.name}: each sweep point of an array parameter is a "
                       "list", item_span(axis, i), prompt)


def _judge_range(ctx: Context, p: Param | None, f: Field, values: NumRange | RandomInts,
                 prompt: str) -> None:
    """A range or random(n) axis, from the few values that decide every rule."""
    found: set[str] = set()
    for v in _range_candidates(p, values):
        bad = _judge(p, v)
        if bad is not None and bad[0] not in found:
            found.add(bad[0])
            _report(ctx, bad, f.value.span, prompt, f.name_span)


def _judge_values(ctx: Context, p: Param | None, f: Field, values: Sequence[Any],
                  prompt: str) -> None:
    """A listed axis: each distinct value once, reported at its item (with PS104/PS105's
    fix)."""
    seen: set[tuple[str, Any]] = set()
    for i, v in enumerate(values):
        if isinstance(v, FileRef):
            _judge_file(ctx, p, f.name, v, prompt)
            continue
        if isinstance(v, tuple):
            continue  # a list as a point: reported by _report_list_points
        key = (type(v).__name__, v)
        if key in seen:
            continue
        seen.add(key)
        bad = _judge(p, v)
        if bad is not None:
            lit = f.value.items[i] if isinstance(f.value, ListValue) else None
            fix = _fix(ctx, p, lit, bad[0]) if isinstance(lit, Literal) else None
            _report(ctx, bad, item_span(f.value, i), prompt, f.name_span, fix)


def _var_axis(ctx: Context, f: Field, prompt: str) -> None:
    """A var axis takes any value but one that is not a finite number."""
    if not isinstance(f.value, ListValue):
        return
    for item in f.value.items:
        if isinstance(item, Literal) and isinstance(item.value, float):
            bad = _not_finite(f"var {f.name!r}", item.value)
            if bad is not None:
                ctx.report(bad[0], bad[1], item.span, prompt)
