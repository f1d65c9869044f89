"""Duplicate requests (PS404): equal points inside one prompt, equal requests across prompts.

Inside a prompt, each axis's written values are compared as expansion types them (a var
by what the templates reading it render), never the product. Across prompts, only small
prompts with the same parameter names are candidates, and a pair is expanded (its request
ids compared) only when every field's value sets overlap (`_overlap`).
"""

from __future__ import annotations

from typing import Any

from promptspec.axes import AxisError, NumRange
from promptspec.diagnostics import Code
from promptspec.errors import SpecError
from promptspec.lint.rules._context import Context
from promptspec.lint.rules._overlap import Domains, overlap, value_key
from promptspec.lint.rules._points import render_point
from promptspec.lint.rules._printed import printed_key
from promptspec.lint.rules._render import Failed, render
from promptspec.lint.rules._value_sets import Member, PromptView, RandomInts, is_lazy, typed
from promptspec.model import FileRef, Literal
from promptspec.params import PARAMS, TEMPLATE_FIELDS, TUNE
from promptspec.templates import template_info
from promptspec.templates.plain import SHOWN_AS_STR

__all__ = ["duplicate_points", "duplicate_prompts"]

_UNLISTED = (AxisError, NumRange, RandomInts)

EXPAND_LIMIT = 10_000
"""Prompts above this many requests are never expanded to compare them with others."""


def duplicate_points(view: PromptView, read: set[str]) -> str | None:
    """Why two points of the prompt give one request (an axis with equal values), or None."""
    for ms in view.axis_members:
        if len(ms) == 1:
            values = ms[0].values
            if isinstance(values, _UNLISTED) or len(values) < 2:
                continue
            length = len(values)
            if _printed_apart(view, ms[0], length, read):
                continue  # no two points of the axis can give one request
        else:
            if any(isinstance(m.values, AxisError) or is_lazy(m.values) for m in ms):
                continue
            length = min(len(m.values) for m in ms)  # type: ignore[arg-type]
            if length < 2:
                continue
            if any(_printed_apart(view, m, length, read) for m in ms):
                continue
        columns = [_keys(view, m, length, read) for m in ms]
        seen: dict[Any, int] = {}
        for i, key in enumerate(zip(*columns, strict=True)):
            first = seen.setdefault(key, i)
            if first != i:
                name = " / ".join(m.field.name for m in ms)
                a = _shown(ms, first)
                b = _shown(ms, i)
                return f"{name} values {a} and {b} give the same request"
    return None


def _printed_apart(view: PromptView, m: Member, length: int, read: set[str]) -> bool:
    """Whether the keys `_keys` gives a var member's values are surely all different, seen
    without rendering: a template that reads it renders them apart (`printed_key`; a
    render that fails keys a value by itself, which differs too)."""
    name = m.field.name
    if name in PARAMS or name == TUNE or name not in read:
        return False
    printed: list[str] = []
    for v in m.values[:length]:  # type: ignore[index]
        t = type(v)
        if t not in SHOWN_AS_STR:
            return False
        try:
            printed.append(str(v))
        except ValueError:  # an int past Python's digit limit: rendered to know
            return False
    for field, src in view.templates:
        names = template_info(src).names
        if name in names:
            # the other values it reads: as at the first point (`_key` renders there)
            point = view.first_point if any(n in view.members for n in names if n != name) \
                else view.base_context
            key = printed_key(src, name, field, point)
            if key is not None and len(set(map(key, printed))) == length:
                return True
    return False


def _shown(ms: list[Member], i: int) -> str:
    vals = [m.values[i] for m in ms]  # type: ignore[index]
    shown = [v.path if isinstance(v, FileRef) else v for v in vals]
    return repr(shown[0]) if len(shown) == 1 else repr(tuple(shown))


def _keys(view: PromptView, m: Member, length: int, read: set[str]) -> list[Any]:
    """Per value of a listed member, a key equal exactly when the requests are equal."""
    name = m.field.name
    values: Any = m.values
    param = name in PARAMS or name == TUNE
    if not param and name not in read:
        return [("file", v.path) if isinstance(v, FileRef) else () for v in values[:length]]
    if param:
        return [_key(view, name, param, [], v) for v in values[:length]]
    readers = [(f, src) for f, src in view.templates if name in template_info(src).names]
    points = [_points_at(view, m, src) for _, src in readers]
    if any(p is None for p in points):
        return [_key(view, name, param, readers, v) for v in values[:length]]
    return [_point_key(view, readers, points, i, v)  # type: ignore[arg-type]
            for i, v in enumerate(values[:length])]


def _points_at(view: PromptView, m: Member, src: str
               ) -> tuple[list[tuple[dict[str, Any], ...]], int] | None:
    """The axis points a reader of member `m`'s var is rendered at when only `m` moves
    (every other axis it reads at its first point, as `first_point` holds them): the
    points of `m`'s axis, each joined with the others' first, and where `m`'s axis sits;
    None when these would not be the values `_key` renders with (a var set by two axes,
    a zip partner the template reads too, an axis without values)."""
    if m.field.name in view.repeated:
        return None
    names = template_info(src).names
    axes = view.read_axes(src)
    if any(p.field.name in names and p is not m for p in view.axis_members[m.axis]):
        return None
    firsts: list[dict[str, Any]] = []
    for a in axes:
        pts = view.axis_points(a)
        if not pts:
            return None
        firsts.append(pts[0])
    at = axes.index(m.axis)
    own = view.axis_points(m.axis)
    return [(*firsts[:at], p, *firsts[at + 1:]) for p in own], at


def _point_key(view: PromptView, readers: list[tuple[str, str]],
               points: list[tuple[list[tuple[dict[str, Any], ...]], int]], i: int, v: Any
               ) -> Any:
    if isinstance(v, FileRef):
        return ("file", v.path)
    if isinstance(v, tuple):
        return ("list", tuple(("file", i.path) if isinstance(i, FileRef) else value_key(i)
                              for i in v))
    out: list[Any] = ["renders"]
    for (field, src), (combos, _) in zip(readers, points, strict=True):
        text = render_point(view, src, combos[i])
        if isinstance(text, Failed):
            return ("value", value_key(v))
        out.append(text.strip() if field != "callback" else text)
    return tuple(out)


def _key(view: PromptView, name: str, param: bool, readers: list[tuple[str, str]],
         v: Any) -> Any:
    if isinstance(v, FileRef):
        return ("file", v.path)
    if isinstance(v, tuple):  # a list as a point (array parameter): its items, files by path
        return ("list", tuple(("file", i.path) if isinstance(i, FileRef) else value_key(i)
                              for i in v))
    if param:
        return value_key(typed(name, v))
    ctx: dict[str, Any] = dict(view.first_point)
    ctx[name] = v
    out: list[Any] = ["renders"]
    for field, src in readers:
        text = render(view.memo, src, ctx)
        if text is None:
            return ("value", value_key(v))
        out.append(text.strip() if field != "callback" else text)
    return tuple(out)


def _signature(view: PromptView) -> tuple[Any, ...]:
    rp = view.rp
    tune = "axis" if TUNE in view.members else (
        rp.tune.field.value.value if rp.tune is not None and isinstance(rp.tune.field.value,
                                                                      Literal) else None)
    names = {n for n, s in rp.params.items()
             if n in PARAMS and not (isinstance(s.field.value, Literal)
                                     and s.field.value.value is None)}
    names |= {n for n in view.members if n in PARAMS}
    return (repr(tune), tuple(sorted(names)))


def _ids(ctx: Context, view: PromptView) -> list[str] | None:
    try:
        from promptspec.expand import expand_prompt, prepare  # only for duplicate prompts

        pp = prepare(view.rp, ctx.path, ctx.res.root)
        return [r.id for r in expand_prompt(pp)]
    except SpecError:
        return None  # the file's other findings say why it does not expand


def duplicate_prompts(ctx: Context, views: list[PromptView], counts: list[int]) -> None:
    """PS404 at the later of two prompts that yield a common request."""
    groups: dict[tuple[Any, ...], list[PromptView]] = {}
    for view, count in zip(views, counts, strict=True):
        if count > EXPAND_LIMIT or any(isinstance(m.values, AxisError)
                                       for m in view.members.values()):
            continue
        groups.setdefault(_signature(view), []).append(view)
    expanded: dict[int, list[str] | None] = {}

    def ids_of(view: PromptView) -> list[str] | None:
        if id(view) not in expanded:
            expanded[id(view)] = _ids(ctx, view)
        return expanded[id(view)]

    for sig, group in groups.items():
        if len(group) < 2:
            continue
        # pairs (earlier, later) that may share a request; each field's value sets drop
        # the pairs they tell apart, until none is left
        domains = [Domains(view) for view in group]
        names = [n for n in _compared(sig) if not _one_field(group, n)]
        # else every prompt sends one written value; a field that every prompt sets to one
        # value of its own tells pairs apart by that value alone
        fixed = [n for n in names if all(_fixed(view, n) for view in group)]
        prints = [tuple(value_key(typed(n, view.rp.params[n].field.value.value))  # type: ignore[union-attr]
                        for n in fixed) for view in group]
        pairs = [(i, j) for j in range(len(group)) for i in range(j) if prints[i] == prints[j]]
        # then templates (most tell prompts apart, and their renders are the text rules'
        # too), then the rest; the pairs left do not depend on the order
        for n in sorted(names, key=lambda n: n not in TEMPLATE_FIELDS):
            if not pairs:
                break
            if n not in fixed:
                pairs = [(i, j) for i, j in pairs
                         if overlap(domains[i].get(n), domains[j].get(n))]
        candidates: dict[int, list[PromptView]] = {}
        for i, j in pairs:
            candidates.setdefault(j, []).append(group[i])
        for j, view in enumerate(group):
            # an earlier prompt that shares a request with this one passes every filter,
            # so the first owner of each shared id is the same as when all are expanded
            earlier = candidates.get(j, [])
            ids = ids_of(view) if earlier else None
            if ids is None:
                continue
            owner: dict[str, str] = {}
            for u in earlier:
                for rid in ids_of(u) or ():
                    owner.setdefault(rid, u.name)
            clash = next((rid for rid in ids if rid in owner), None)
            if clash is not None:
                ctx.report(Code.DUPLICATE_REQUEST,
                           f"prompt {view.name!r} yields the same request as prompt "
                           f"{owner[clash]!r} ({clash})", view.rp.prompt.name_span,
                           view.name)


def _fixed(view: PromptView, name: str) -> bool:
    """Whether the prompt sets `name` (a parameter, not a template) to one written value."""
    if name in view.members or name in TEMPLATE_FIELDS or name == TUNE:
        return False
    s = view.rp.params.get(name)
    return s is not None and isinstance(s.field.value, Literal)


def _one_field(group: list[PromptView], name: str) -> bool:
    """Whether every prompt takes `name` from the same written field (not a template)."""
    first = None
    for view in group:
        s = view.rp.tune if name == TUNE else view.rp.params.get(name)
        if s is None or name in view.members:
            return False
        if first is None:
            first = s.field
        elif s.field is not first:
            return False
    # one template may render differently in each prompt; plain text renders as itself
    return name not in TEMPLATE_FIELDS or (
        first is not None and isinstance(first.value, Literal)
        and isinstance(first.value.value, str) and "{" not in first.value.value)


def _compared(sig: tuple[Any, ...]) -> list[str]:
    """The fields to compare, cheap ones first: the tune, parameters, then templates."""
    names: tuple[str, ...] = sig[1]
    plain = [n for n in names if n not in TEMPLATE_FIELDS]
    return [TUNE, *plain, *(n for n in names if n in TEMPLATE_FIELDS)]
