"""The texts a prompt can send, scanned for flags and tokens, and where a part of one is written.

A text is the rendered `text` template over the axes it reads (bounded, like every render
of the rules), or each item of a `text` axis. A part found in a rendered text is placed at
its `--` or `<` in the source when the text itself writes it, else at the var value or
sweep item that supplies it, else at the text.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Any

from promptspec.axes import AxisError, NumRange, item_span
from promptspec.lint.rules._context import Context, Place, at, place_of_setting, text_span
from promptspec.lint.rules._points import render_point
from promptspec.lint.rules._render import Failed, outside_tags
from promptspec.lint.rules._value_sets import PromptView
from promptspec.model import ListValue, Literal, Span
from promptspec.params import FAMILY, TUNE
from promptspec.params.flags import KNOWN_TUNES, Scan, scan
from promptspec.resolve import Setting
from promptspec.templates import template_info

__all__ = ["SentText", "families", "locate", "sent_texts", "values_of"]

_LISTED = (list, tuple)


class SentText:
    """One text the prompt can send: rendered, scanned, and where it is written (a plain
    class: made for every text of every prompt, read only)."""

    __slots__ = ("lit", "scan", "setting", "text")

    def __init__(self, text: str, scan: Scan, lit: Literal, setting: Setting | None) -> None:
        self.text = text
        self.scan = scan
        self.lit = lit
        self.setting = setting
        """The `text` setting (a template), or None for an item of a `text` axis."""


PRODUCT_CAP = 32
"""Up to this many combinations of the values the text reads, each is rendered; beyond,
each value of each axis is rendered once with the others at their first value (flags and
tokens are judged per value, so that lint time does not grow with the axes' product)."""


def sent_texts(view: PromptView) -> list[SentText]:
    """Each distinct text the prompt can send (bounded renders), scanned; once per prompt."""
    found = view.derived.get("sent_texts")
    if found is None:
        found = view.derived["sent_texts"] = list(_sent_texts(view))
    return found


def _sent_texts(view: PromptView) -> Iterator[SentText]:
    seen: set[str] = set()
    m = view.members.get("text")
    if m is not None:
        value = m.field.value
        if isinstance(value, ListValue):
            for item in value.items:
                if isinstance(item, Literal) and isinstance(item.value, str) \
                        and item.value not in seen:
                    seen.add(item.value)
                    yield SentText(item.value, scan(item.value), item, None)
        return
    s = view.rp.params.get("text")
    if s is None or not isinstance(s.field.value, Literal) \
            or not isinstance(s.field.value.value, str):
        return
    lit, src = s.field.value, s.field.value.value
    for out in _renders(view, src):
        if out not in seen:
            seen.add(out)
            yield SentText(out, scan(out), lit, s)


def _renders(view: PromptView, src: str) -> Iterator[str]:
    info = template_info(src)
    if info.error is not None or info.private:
        return
    points: list[list[dict[str, Any]]] = []
    size = 1
    for a in view.read_axes(src):
        found = view.axis_points(a)
        if not found:
            return
        points.append(found)
        size *= len(found)
    combos: Iterable[tuple[dict[str, Any], ...]]
    if size <= PRODUCT_CAP:
        combos = itertools.product(*points)
    else:
        first = tuple(p[0] for p in points)
        combos = [first, *((*first[:i], point, *first[i + 1:])
                           for i, p in enumerate(points) for point in p[1:])]
    for combo in combos:
        text = render_point(view, src, combo)
        if isinstance(text, Failed):
            return
        yield text.strip()


def _in_literal(ctx: Context, lit: Literal, src: str, offset: int, needle: str) -> Span:
    """The place of `needle`, which starts at `offset` of the literal's text `src` (the
    same occurrence of it on its line, counted from the literal's start)."""
    tl = src.count("\n", 0, offset) + 1
    line = lit.source_line(tl)
    text = ctx.line(line)
    line_start = src.rfind("\n", 0, offset) + 1
    nth = src.count(needle, line_start, offset) if needle else 0
    col = (lit.span.column if line == lit.span.line else 1) - 1
    for _ in range(nth + 1):
        col = text.find(needle, col) if needle else -1
        if col < 0:
            return text_span(ctx, lit, tl)
        col += 1
    return Span(lit.span.path, line, col, line, col + len(needle))


def _supplier(ctx: Context, view: PromptView, src: str, part: str) -> Span | None:
    """The var value or sweep item (read by the template `src`) whose text holds `part`."""
    for name in sorted(template_info(src).names):
        m = view.members.get(name)
        if m is not None and isinstance(m.field.value, ListValue):
            for i, item in enumerate(m.field.value.items):
                if isinstance(item, Literal) and part in str(item.value):
                    return item_span(m.field.value, i)
            continue
        s = view.rp.vars.get(name)
        if s is not None and isinstance(s.field.value, Literal) \
                and part in str(s.field.value.value):
            if s.field.span.path == ctx.path:
                return s.field.value.span
            return ctx.anchor(view.rp, place_of_setting(s))
    return None


def locate(ctx: Context, view: PromptView, sent: SentText, start: int, part: str) -> Span:
    """Where a flag or token (at `start` of the sent text; `part` its bad part) is written."""
    head = _head(sent.text, start)
    if sent.setting is None:  # an axis item, sent as written
        return _in_literal(ctx, sent.lit, sent.text, start, head)
    src = str(sent.lit.value)
    outside = outside_tags(src)
    idx = _nth(outside, part, sent.text.count(part, 0, start)) if part else -1
    span: Span | None = None
    if idx >= 0:
        flag_at = outside.rfind(head, 0, idx + len(head)) if head else -1
        span = _in_literal(ctx, sent.lit, src, flag_at if flag_at >= 0 else idx,
                           head if flag_at >= 0 else part)
    else:
        span = _supplier(ctx, view, src, part)
        if span is None:
            span = text_span(ctx, sent.lit, 1)
    if span.path != ctx.path:
        return ctx.anchor(view.rp, place_of_setting(sent.setting))
    return span


def _nth(text: str, part: str, n: int) -> int:
    """The offset of the n-th (0-based) occurrence of `part`, else of the first, else -1."""
    at_ = -1
    for _ in range(n + 1):
        found = text.find(part, at_ + 1)
        if found < 0:
            return text.find(part)
        at_ = found
    return at_


def _head(text: str, start: int) -> str:
    """The flag (`--name`) or token opening (`<lora:`) that starts at `start`."""
    if text.startswith("--", start):
        end = start + 2
        while end < len(text) and (text[end].isalnum() or text[end] == "_"):
            end += 1
        return text[start:end]
    end = text.find(":", start)
    return text[start: end + 1] if end > 0 else text[start: start + 1]


def values_of(view: PromptView, name: str) -> list[tuple[Any, Place | None]]:
    """The values a field takes, each with the sweep item giving it (None: a fixed value).

    A range is represented by its first and last values; an invalid axis by nothing."""
    m = view.members.get(name)
    if m is not None:
        values = m.values
        if isinstance(values, AxisError):
            return []
        if isinstance(values, NumRange):
            span = m.field.value.span
            return [(values[0], Place(span, f"swept at {at(span)}", True)),
                    (values[len(values) - 1], Place(span, f"swept at {at(span)}", True))]
        if not isinstance(values, _LISTED):
            return []
        out: list[tuple[Any, Place | None]] = []
        for i, v in enumerate(values):
            span = item_span(m.field.value, i)
            out.append((v, Place(span, f"swept ({v!r}) at {at(span)}", True)))
        return out
    s = view.rp.tune if name == TUNE else view.rp.family if name == FAMILY \
        else view.rp.params.get(name)
    if s is None:
        return [(None, None)]
    v = s.field.value
    return [(v.value if isinstance(v, Literal) else v, None)]


def families(view: PromptView) -> list[tuple[str, Place | None]]:
    """The model families the prompt is sent to, each with the sweep item (over `family`
    or `tune`) that decides it, if any. An unknown family is left out: no family rule.
    Worked out once per prompt."""
    found = view.derived.get("families")
    if found is None:
        found = view.derived["families"] = _families(view)
    return found


def _families(view: PromptView) -> list[tuple[str, Place | None]]:
    out: list[tuple[str, Place | None]] = []
    tunes: list[tuple[Any, Place | None]] | None = None
    for fam, place in values_of(view, FAMILY):
        if isinstance(fam, str):
            out.append((fam, place))
            continue
        if tunes is None:
            tunes = values_of(view, TUNE)
        for tune, tplace in tunes:
            known = KNOWN_TUNES.get(tune) if isinstance(tune, int) else None
            if known is not None:
                out.append((known, tplace or place))
    return out
