"""Which prompts of a file cannot share a request, decided from value sets, never expanded.

Two prompts can yield one request only if, for every parameter and the tune, the sets of
values each can send overlap. A field's set is exact (a fixed value, a listed axis's typed
values, a template's renders over the few axis points it reads), an interval (a range or
random(n): bounds, type and an int step decide overlap without iterating), or unknown
(may overlap). The filter says "cannot collide" only when that is certain; expansion
decides every pair that passes it.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from promptspec.axes import AxisError, NumRange
from promptspec.lint.rules._points import render_point
from promptspec.lint.rules._render import Failed
from promptspec.lint.rules._value_sets import SAMPLES_PER_AXIS, PromptView, RandomInts, typed
from promptspec.model import FileRef, Literal, record
from promptspec.params import PARAMS, STRIPPED_FIELDS, TEMPLATE_FIELDS, TUNE
from promptspec.templates import template_info
from promptspec.templates.plain import SHOWN_AS_STR

__all__ = ["Domains", "overlap", "value_key"]

_NUMBER = (int, float)
_LAZY = (NumRange, RandomInts)  # a tuple: `X | Y` builds a union at every call
_UNKNOWN = (AxisError, RandomInts)

RENDER_LIMIT = 64
"""Above this many combinations of the axes a template reads, its renders are unknown."""
_UNSEEDED = ("random", "lipsum")  # a template that draws random values has no fixed set


def value_key(v: Any) -> Any:
    """A hashable key equal for two values exactly when their canonical JSON is equal."""
    t = type(v)
    if t is float:
        return (t, repr(v))
    if t in SHOWN_AS_STR:
        return (t, v)
    return ("json", json.dumps(v, sort_keys=True))


@record
class Interval:
    """Values of one type between two bounds; for ints, `start + k * step` when step is set."""

    lo: float
    hi: float
    kind: type
    start: int = 0
    step: int = 0

    def holds(self, v: Any) -> bool:
        return isinstance(v, _NUMBER) and type(v) is self.kind and self._within(v)

    def _within(self, x: float) -> bool:
        if not self.lo <= x <= self.hi:
            return False
        return not self.step or (x - self.start) % self.step == 0

    def meets(self, other: Interval) -> bool:
        return self.kind is other.kind and self.lo <= other.hi and other.lo <= self.hi


Domain = dict[Any, Any] | Interval | None
"""Exact values (value_key -> value), an interval, or None: unknown."""


def overlap(a: Domain, b: Domain) -> bool:
    """Whether two value sets may share a value (always, when either is unknown)."""
    if a is None or b is None:
        return True
    if isinstance(a, Interval):
        return a.meets(b) if isinstance(b, Interval) else any(a.holds(v) for v in b.values())
    if isinstance(b, Interval):
        return any(b.holds(v) for v in a.values())
    small, big = (a, b) if len(a) <= len(b) else (b, a)
    return any(k in big for k in small)


def _exact(name: str, values: Any) -> Domain:
    out: dict[Any, Any] = {}
    for raw in values:
        if isinstance(raw, FileRef):
            return None  # two paths may hold the same bytes
        v = typed(name, raw)
        out[value_key(v)] = v
    return out


def _lazy(name: str, values: NumRange | RandomInts) -> Interval:
    p = PARAMS.get(name)
    as_float = p is not None and p.kind == "float"
    if isinstance(values, RandomInts):
        kind: type = float if as_float else int
        return Interval(kind(values.lo), kind(values.hi), kind)
    lo, hi = values.bounds()
    if values.ints and not as_float:
        return Interval(lo, hi, int, int(values.start), abs(int(values.step)))
    return Interval(float(lo), float(hi), float)


class Domains:
    """The value sets of one prompt's fields, computed on first use."""

    def __init__(self, view: PromptView) -> None:
        self.view = view
        self._found: dict[str, Domain] = {}

    def get(self, name: str) -> Domain:
        if name not in self._found:
            try:
                self._found[name] = self._domain(name)
            except Exception:
                self._found[name] = None  # unknown: may overlap
        return self._found[name]

    def _domain(self, name: str) -> Domain:
        view = self.view
        if name in view.repeated:
            return None
        m = view.members.get(name)
        if m is not None:
            if isinstance(m.values, AxisError):
                return None
            if isinstance(m.values, _LAZY):
                return _lazy(name, m.values)
            return _exact(name, m.values)
        s = view.rp.tune if name == TUNE else view.rp.params.get(name)
        if s is None or not isinstance(s.field.value, Literal):
            return None
        value = s.field.value.value
        if name in TEMPLATE_FIELDS and isinstance(value, str):
            return self._renders(name, value)
        return _exact(name, (value,))

    def _renders(self, name: str, source: str) -> Domain:
        """Every value a fixed template field renders to, when the axes it reads are few."""
        view = self.view
        info = template_info(source)
        if info.error is not None or info.private or _UNSEEDED[0] in source \
                or _UNSEEDED[1] in source:
            return None
        params = view.rp.params
        for n in info.names:
            if n in TEMPLATE_FIELDS or n in view.repeated:
                return None  # reads another template: expansion's order decides its value
            s = params.get(n)
            if n not in view.members and s is not None and not isinstance(s.field.value,
                                                                          Literal):
                return None
        axes = view.read_axes(source)
        total = 1
        for ai in axes:
            for m in view.axis_members[ai]:
                v = m.values
                if isinstance(v, _UNKNOWN) or (
                        isinstance(v, NumRange) and len(v) > SAMPLES_PER_AXIS):
                    return None  # axis_points would hold samples, not every value
            total *= len(view.axis_points(ai))
            if total > RENDER_LIMIT:
                return None
        out: dict[Any, Any] = {}
        for combo in itertools.product(*(view.axis_points(ai) for ai in axes)):
            text = render_point(view, source, combo)
            if isinstance(text, Failed):
                return None
            if name in STRIPPED_FIELDS:
                text = text.strip()
            out[(str, text)] = text
        return out
