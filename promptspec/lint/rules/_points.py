"""The axis points a template is rendered at by the render rules (PS301, PS306, PS107), and
renders at a point, once per prompt.

Every distinct combination of the values the template reads is rendered when there are
few enough: a file spends at most RENDER_BUDGET such renders, prompt by prompt in the order
written. Beyond it, the axes' samples (`PromptView.axis_points`: all of a written list, a
few values of a long range or `random(n)`) are combined: their product up to SAMPLE_CAP
points, else each sample once (a diagonal). Combinations come in expansion order (the last
axis varying fastest), so the first that fails is the first point at which `expand` fails.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator
from typing import Any

from promptspec.axes import AxisError, NumRange, axis_values
from promptspec.lint.rules._axis_samples import RandomInts
from promptspec.lint.rules._render import Failed, render_or_failure
from promptspec.lint.rules._value_sets import PromptView, ctx_value
from promptspec.params import PARAMS, STRIPPED_FIELDS
from promptspec.templates import TemplateBoundError, template_info
from promptspec.templates.bounds import MAX_OUTPUT
from promptspec.templates.plain import SHOWN_AS_STR, join_plain, plain_pieces

__all__ = ["RENDER_BUDGET", "SAMPLE_CAP", "Combo", "combos", "first_failure", "render_point",
           "renders"]

_LAZY = (NumRange, RandomInts)  # a tuple: `X | Y` builds a union at every call

RENDER_BUDGET = 4000
"""Renders a file may spend on every distinct combination of the values its templates
read; a template whose combinations do not fit in what is left is rendered at samples."""
SAMPLE_CAP = 1000
"""Up to this many combinations of axis samples, each is rendered; beyond, each sample of
each axis once."""

Combo = tuple[dict[str, Any], ...]
_BUDGET = ("render budget",)  # the key of what is left of it in the file's memo


def combos(view: PromptView, source: str) -> list[Combo] | None:
    """The combinations of axis points (one point of each axis the template reads) it is
    rendered at, once per prompt and template; None when it has none (it does not compile,
    or an axis it reads has no values)."""
    key = ("combos", source)
    if key not in view.derived:
        view.derived[key] = _combos(view, source)
    return view.derived[key]  # type: ignore[no-any-return]


def _combos(view: PromptView, source: str) -> list[Combo] | None:
    info = template_info(source)
    if info.error is not None or info.private:
        return None
    axes = view.read_axes(source)
    samples = [view.axis_points(a) for a in axes]
    if any(not p for p in samples):
        return None
    left: int = view.memo.get(_BUDGET, RENDER_BUDGET)
    every = _every(view, axes, info.names, left)
    if every is not None:
        view.memo[_BUDGET] = left - math.prod(len(p) for p in every)
        return list(itertools.product(*every))
    found: Iterable[Combo]
    if math.prod(len(p) for p in samples) <= SAMPLE_CAP:
        found = itertools.product(*samples)
    else:
        longest = max(len(p) for p in samples)
        found = (tuple(p[i % len(p)] for p in samples) for i in range(longest))
    return list(found)


def _every(view: PromptView, axes: list[int], names: frozenset[str], budget: int
           ) -> list[list[dict[str, Any]]] | None:
    """For each axis, its points that differ in what the template reads (the first of
    each, in order), when the product of their numbers is within `budget`; else None."""
    out: list[list[dict[str, Any]]] = []
    total = 1
    for a in axes:
        points = _all_points(view, a, budget // total)
        if points is None:
            return None
        read = [n for n in points[0] if n in names]
        seen: set[tuple[Any, ...]] = set()
        distinct: list[dict[str, Any]] = []
        for p in points:
            k = tuple(_key(p[n]) for n in read)
            if k not in seen:
                seen.add(k)
                distinct.append(p)
        total *= len(distinct)
        if total > budget:
            return None
        out.append(distinct)
    return out


def _all_points(view: PromptView, axis: int, limit: int) -> list[dict[str, Any]] | None:
    """Every point of one axis (name -> typed value), or None past `limit` points."""
    ms = view.axis_members[axis]
    if all(not isinstance(m.values, _LAZY) for m in ms):
        return view.axis_points(axis)  # written lists: their samples are all of them
    length = min(len(m.values) for m in ms)  # type: ignore[arg-type]
    if length > limit:
        return None
    cols: list[Any] = []
    for m in ms:
        values = m.values
        if isinstance(values, RandomInts):  # drawn as expansion draws them
            values = axis_values(m.field.value, PARAMS.get(m.field.name), view.name,
                                 m.field.name)
            if isinstance(values, AxisError):
                return None
        cols.append(values)
    return [{m.field.name: ctx_value(m.field.name, c[i]) for m, c in zip(ms, cols, strict=True)}
            for i in range(length)]


def _key(v: Any) -> Any:
    """Tells apart every two values that may render differently (1, 1.0, True; -0.0)."""
    t = type(v)
    return (t, repr(v)) if t is float else (t, v)


def render_point(view: PromptView, source: str, combo: tuple[dict[str, Any], ...]) -> str | Failed:
    """`source` rendered at one combination of axis points (each from `view.axis_points`
    or `_points`), once per prompt: the points are the view's own and live as long as it,
    so their identities are the key."""
    key = (source, *map(id, combo))
    found = view.rendered.get(key)
    if found is None:
        found = _plain_at(source, view.base_context, combo)
        if found is None:
            ctx = dict(view.base_context)
            for part in combo:
                ctx.update(part)
            found = render_or_failure(view.memo, source, ctx)
        view.rendered[key] = found
    return found


def _plain_at(source: str, base: dict[str, Any], combo: tuple[dict[str, Any], ...]
              ) -> str | Failed | None:
    """`templates.plain.render_plain` with the context `base` updated by `combo`'s parts,
    without building it (None where that gives None: jinja decides)."""
    pieces = plain_pieces(source)
    if pieces is None:
        return None
    one = combo[0] if len(combo) == 1 else None
    out: list[str] = []
    values: list[Any] = []
    for is_name, text, _ in pieces:
        if not is_name:
            out.append(text)
            continue
        if one is not None:
            value = one[text] if text in one else base.get(text, base)
        else:
            for part in reversed(combo):
                if text in part:
                    value = part[text]
                    break
            else:
                value = base.get(text, base)
        values.append(value)
        t = type(value)
        if t is str:
            out.append(value)
        elif t in SHOWN_AS_STR:
            try:
                out.append(str(value))
            except ValueError:  # an int past Python's digit limit: the sandbox words it
                return None
        else:
            return None  # a name unset, another type: jinja decides
    rendered = "".join(out)
    if len(rendered) <= MAX_OUTPUT:
        return rendered
    try:  # past the sandbox's bound: worded as the sandbox words it
        return join_plain(pieces, values)
    except TemplateBoundError as err:
        return Failed(str(err))


def renders(view: PromptView, field: str, source: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(rendered text, the axis values used) over the axes the template reads, bounded.

    Stops at the first render that fails: `first_failure` reports it.
    """
    found = combos(view, source)
    if found is None:
        return
    strip = field in STRIPPED_FIELDS
    for combo in found:
        text = render_point(view, source, combo)
        if isinstance(text, Failed):
            return
        coords: dict[str, Any] = {}
        for part in combo:
            coords.update(part)
        yield (text.strip() if strip else text), coords


def first_failure(view: PromptView, field: str, source: str) -> tuple[str, dict[str, Any]] | None:
    """(why, the axis values used) of the first render that fails, over the same points as
    `renders`; None when every one succeeds."""
    for combo in combos(view, source) or ():
        text = render_point(view, source, combo)
        if isinstance(text, Failed):
            coords: dict[str, Any] = {}
            for part in combo:
                coords.update(part)
            return text.message, coords
    return None
