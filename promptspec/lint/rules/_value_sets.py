"""The sets of values a resolved prompt's fields can take, without enumerating its sweep.

A field's values are one fixed value (a `Setting`) or the values of the axis that sets it
(a list, a lazy `NumRange`, or `random(n)`). Cross-field rules reduce each value to a small
class (unset / true / other) and combine only the distinct classes: zip members move
together, different axes combine freely, fixed values are single.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any

from promptspec.axes import AxisError, NumRange, item_span
from promptspec.lint.rules._axis_samples import (
    FLOATS,
    OTHER,
    SAMPLES_PER_AXIS,
    TRUE,
    UNSET,
    AxisSet,
    RandomInts,
    is_lazy,
    lint_axis_values,
    sample,
    typed,
    value_class,
)
from promptspec.lint.rules._context import Place, at, cached_property, place_of_setting
from promptspec.model import Field, FileRef, Literal
from promptspec.params import TEMPLATE_FIELDS, TUNE
from promptspec.resolve import ResolvedPrompt
from promptspec.templates import template_info

__all__ = [
    "OTHER",
    "SAMPLES_PER_AXIS",
    "TRUE",
    "UNSET",
    "Member",
    "PromptView",
    "RandomInts",
    "ctx_value",
    "is_lazy",
    "lint_axis_values",
    "typed",
]

_UNLISTED = (AxisError, NumRange, RandomInts)
_AS_IS = frozenset({str, int, float, bool, type(None)})
"""Types of axis values that a template sees as written (but an int where a float goes)."""
_ONE_CLASS = {c: frozenset({c}) for c in (UNSET, TRUE, OTHER)}  # immutable: shared
_LAZY = (NumRange, RandomInts)  # a tuple: `X | Y` builds a union at every call


class Member:
    """One axis member of a prompt: where it sits and the values it takes (a plain class:
    made for every member of every prompt, compared by identity only)."""

    __slots__ = ("axis", "field", "index", "values")

    def __init__(self, axis: int, index: int, field: Field, values: AxisSet | AxisError) -> None:
        self.axis = axis
        self.index = index
        self.field = field
        self.values = values


class PromptView:
    """One resolved prompt's fields as sets of values, each computed once and shared.

    `memo` is shared by the views of one file: rendered templates by the values they read.
    `axis_cache` maps an axis field (by identity) to its lint values, for the file checks.
    """

    def __init__(self, rp: ResolvedPrompt, memo: dict[Any, Any] | None = None,
                 axis_cache: dict[int, AxisSet | AxisError] | None = None) -> None:
        self.rp = rp
        self.memo: dict[Any, Any] = {} if memo is None else memo
        self.members: dict[str, Member] = {}
        self._points: dict[int, list[dict[str, Any]]] = {}
        self._classes: dict[str, list[tuple[str, Place | None]]] = {}
        self._class_sets: dict[str, frozenset[str]] = {}
        self._read_axes: dict[str, list[int]] = {}
        self.derived: dict[Any, Any] = {}
        """What the rule families work out once per prompt and share, by name."""
        self.rendered: dict[tuple[Any, ...], Any] = {}
        """Renders by (template, the identities of the axis points it is rendered at)."""
        self.axis_members: list[list[Member]] = []
        self.repeated: set[str] = set()
        """Names that more than one axis member sets (the later one wins in expansion)."""
        for ai, axis in enumerate(rp.axes):
            ms: list[Member] = []
            for mi, f in enumerate(axis.members):
                values = lint_axis_values(f, rp.name)
                if axis_cache is not None:
                    axis_cache[id(f)] = values
                m = Member(ai, mi, f, values)
                ms.append(m)
                if f.name in self.members:
                    self.repeated.add(f.name)
                self.members.setdefault(f.name, m)
            self.axis_members.append(ms)

    @property
    def name(self) -> str:
        return self.rp.name

    def setting_value(self, name: str) -> Any:
        s = self.rp.tune if name == TUNE else self.rp.params.get(name) or self.rp.vars.get(name)
        if s is None:
            return None
        v = s.field.value
        return v.value if isinstance(v, Literal) else v

    def classes(self, name: str) -> list[tuple[str, Place | None]]:
        """The distinct classes of `name`'s values, each with the first place giving it."""
        found = self._classes.get(name)
        if found is None:
            found = self._classes[name] = self._find_classes(name)
        return found

    def class_set(self, name: str) -> frozenset[str]:
        """The classes of `name`'s values without their places (what `classes` names)."""
        found = self._class_sets.get(name)
        if found is None:
            found = self._class_sets[name] = self._class_set(name)
        return found

    def _class_set(self, name: str) -> frozenset[str]:
        m = self.members.get(name)
        if m is not None:
            values = m.values
            if isinstance(values, _UNLISTED):
                return _ONE_CLASS[OTHER]
            return frozenset({value_class(v) for v in values})
        s = self.rp.tune if name == TUNE else self.rp.params.get(name)
        if s is None:
            return _ONE_CLASS[UNSET]
        v = s.field.value
        return _ONE_CLASS[value_class(v.value if isinstance(v, Literal) else v)]

    def _find_classes(self, name: str) -> list[tuple[str, Place | None]]:
        m = self.members.get(name)
        if m is not None and isinstance(m.values, AxisError):
            span = m.field.value.span  # an invalid axis (PS407): set, values unknown
            return [(OTHER, Place(span, f"swept at {at(span)}", True))]
        if m is not None:
            return [(c, p) for c, p in self._member_classes(m).items()]
        s = self.rp.tune if name == TUNE else self.rp.params.get(name)
        if s is None:
            return [(UNSET, None)]
        v = s.field.value
        return [(value_class(v.value if isinstance(v, Literal) else v), place_of_setting(s))]

    def _member_classes(self, m: Member) -> dict[str, Place]:
        values = m.values
        assert not isinstance(values, AxisError)
        if isinstance(values, _LAZY):
            span = m.field.value.span
            return {OTHER: Place(span, f"swept at {at(span)}", True)}
        out: dict[str, Place] = {}
        for i, v in enumerate(values):
            c = value_class(v)
            if c not in out:
                span = item_span(m.field.value, i)
                out[c] = Place(span, f"swept ({v!r}) at {at(span)}", True)
        return out

    def joint(self, names: Sequence[str]) -> Iterator[dict[str, tuple[str, Place | None]]]:
        """Every combination of classes the fields `names` can take together."""
        groups: dict[int, list[str]] = {}
        singles: list[str] = []
        for n in names:
            m = self.members.get(n)
            if m is not None and not isinstance(m.values, AxisError):
                groups.setdefault(m.axis, []).append(n)
            else:
                singles.append(n)
        choices: list[list[dict[str, tuple[str, Place | None]]]] = []
        for n in singles:
            choices.append([{n: c} for c in self.classes(n)])
        for group in groups.values():
            choices.append(self._zip_classes(group))
        for combo in itertools.product(*choices):
            merged: dict[str, tuple[str, Place | None]] = {}
            for part in combo:
                merged.update(part)
            yield merged

    def _zip_classes(self, names: list[str]) -> list[dict[str, tuple[str, Place | None]]]:
        if len(names) == 1:
            return [{names[0]: c} for c in self.classes(names[0])]
        ms = [self.members[n] for n in names]
        listed = [m for m in ms if not is_lazy(m.values)]  # type: ignore[arg-type]
        length = min((len(m.values) for m in listed), default=1)  # type: ignore[arg-type]
        out: dict[tuple[str, ...], dict[str, tuple[str, Place | None]]] = {}
        for i in range(length):
            row: dict[str, tuple[str, Place | None]] = {}
            for m in ms:
                values = m.values
                assert not isinstance(values, AxisError)
                if isinstance(values, _LAZY):
                    span = m.field.value.span
                    row[m.field.name] = (OTHER, Place(span, f"swept at {at(span)}", True))
                else:
                    v = values[i]
                    span = item_span(m.field.value, i)
                    place = Place(span, f"swept ({v!r}) at {at(span)}", True)
                    row[m.field.name] = (value_class(v), place)
            out.setdefault(tuple(c for c, _ in row.values()), row)
        return list(out.values())

    @cached_property
    def base_context(self) -> dict[str, Any]:
        """The render context without axes: vars, set parameters, `prompt` (as expansion)."""
        ctx: dict[str, Any] = {}
        for n, s in self.rp.vars.items():
            v = s.field.value
            if isinstance(v, Literal):
                ctx[n] = v.value
        for n, s in self.rp.params.items():
            v = s.field.value
            if type(v) is Literal and v.value is not None:
                x = v.value
                ctx[n] = float(x) if (type(x) is int and n in FLOATS) else x  # typed(n, x)
        ctx["prompt"] = self.rp.name
        return ctx

    def read_axes(self, source: str) -> list[int]:
        """The axes (indices, in order) whose members a template reads."""
        found = self._read_axes.get(source)
        if found is None:
            members = self.members
            found = self._read_axes[source] = sorted(
                {members[n].axis for n in template_info(source).names if n in members})
        return found

    @cached_property
    def defined(self) -> frozenset[str]:
        return frozenset(self.base_context) | frozenset(self.members)

    def defined_names(self) -> set[str]:
        return set(self.defined)

    @cached_property
    def count(self) -> int:
        """Requests the prompt expands to (axes that have no values are left out)."""
        count = 1
        for ms in self.axis_members:
            lengths = [len(m.values) for m in ms if not isinstance(m.values, AxisError)]
            if lengths:
                count *= min(lengths)
        return count

    @cached_property
    def first_point(self) -> dict[str, Any]:
        """The render context at the first point of every axis (`axis_points(ai)[0]`)."""
        ctx: dict[str, Any] = dict(self.base_context)
        for ms in self.axis_members:
            if any(isinstance(m.values, AxisError) or len(m.values) == 0 for m in ms):
                continue
            for m in ms:
                values = m.values
                first = values.lo if isinstance(values, RandomInts) else values[0]  # type: ignore[index]
                ctx[m.field.name] = ctx_value(m.field.name, first)
        return ctx

    @cached_property
    def templates(self) -> list[tuple[str, str]]:
        """(field, source) of each template field set to a string (swept or not)."""
        out: list[tuple[str, str]] = []
        for field in TEMPLATE_FIELDS:
            s = self.rp.params.get(field)
            if s is not None and isinstance(s.field.value, Literal) \
                    and isinstance(s.field.value.value, str):
                out.append((field, s.field.value.value))
        return out

    def axis_points(self, axis: int) -> list[dict[str, Any]]:
        """A few points of one axis (all of a written list), as name -> typed value."""
        cached = self._points.get(axis)
        if cached is None:
            cached = self._points[axis] = self._axis_points(axis)
        return cached

    def _axis_points(self, axis: int) -> list[dict[str, Any]]:
        ms = self.axis_members[axis]
        if len(ms) == 1:  # a sweep axis: one member
            values = ms[0].values
            if isinstance(values, AxisError):
                return []
            name = ms[0].field.name
            floats = name in FLOATS
            return [{name: v} if type(v) in _AS_IS and not (floats and type(v) is int)
                    else {name: ctx_value(name, v)} for v in sample(values)]
        if any(isinstance(m.values, AxisError) for m in ms):
            return []
        cols = [sample(m.values) for m in ms]  # type: ignore[arg-type]
        length = min(len(c) for c in cols)
        return [
            {m.field.name: ctx_value(m.field.name, c[i]) for m, c in zip(ms, cols, strict=True)}
            for i in range(length)
        ]


def ctx_value(name: str, v: Any) -> Any:
    """An axis value as a template sees it: typed, a file by its path."""
    if isinstance(v, FileRef):
        return v.path
    return typed(name, v)
