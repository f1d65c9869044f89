"""PS301-PS306: the jinja templates of `text`, `negative_prompt` and `callback`.

Syntax, sandbox access and bracket balance are judged where a template is written;
undefined names, weights without use_lpw, empty renders and rendered callback URLs are
judged per prompt, rendering only over the axes a template reads (bounded).
"""

from __future__ import annotations

from collections.abc import Iterator

from promptspec.diagnostics import Code
from promptspec.lint.rules._context import Context, place_of_setting, text_span
from promptspec.lint.rules._points import first_failure, renders
from promptspec.lint.rules._render import (
    bracket_problem,
    jinja_names,
    name_lines,
    names_read,
    never_blank,
    plain_within_bounds,
    weight_line,
)
from promptspec.lint.rules._value_sets import TRUE, PromptView
from promptspec.lint.rules.families import only_flux
from promptspec.lint.rules.registry import Rule, register
from promptspec.model import Field, ListValue, Literal, Span
from promptspec.params import TEMPLATE_FIELDS, check_value, did_you_mean
from promptspec.resolve import Setting
from promptspec.templates import template_info

__all__ = ["check_file", "check_prompt"]

_T = "tune 7\n\nprompt a {\n"
_ONLY_TRUE = frozenset({TRUE})

register(Rule(
    Code.TEMPLATE_SYNTAX_ERROR, "error",
    "A template does not compile, or reaches for what the sandbox forbids.",
    "`text`, `negative_prompt` and `callback` are jinja2 templates rendered in a sandbox. "
    "They must compile, and must not read attributes or items whose names begin with `_`. "
    "In a multi-line string the finding points at the line that goes wrong.",
    bad=_T + '  text = "a fox {% if %}"\n}\n', good=_T + '  text = "a fox"\n}\n',
))
register(Rule(
    Code.UNDEFINED_VARIABLE, "error",
    "A template uses a name that no var, parameter or axis defines.",
    "A template's context holds every var, every parameter the prompt sets, every axis and "
    "`prompt` (the prompt's name); any other name fails to render.",
    bad=_T + '  text = "a fox in {{ season }}"\n}\n',
    good=_T + '  text = "a fox in {{ season }}"\n  vars { season = "winter" }\n}\n',
))
register(Rule(
    Code.UNUSED_VARIABLE, "warning",
    "A var that no template of the file uses.",
    "Vars exist to be read by templates; one that no template reads is dead, or a typo of "
    "the name a template means.",
    bad='tune 7\n\nvars {\n  colour = "red"\n}\n\nprompt a {\n  text = "a fox"\n}\n',
    good='tune 7\n\nvars {\n  colour = "red"\n}\n\nprompt a {\n  text = "a {{ colour }} fox"\n}\n',
))
register(Rule(
    Code.WEIGHTS_WITHOUT_LPW, "warning",
    "Weighted syntax such as `(word:1.3)` in `text` while `use_lpw` is not true.",
    "Prompt weights are read only by the long-prompt-weighting pipeline; without "
    "use_lpw = true they are sent to the model as literal text.",
    bad=_T + '  text = "a (red:1.3) fox"\n}\n',
    good=_T + '  text = "a (red:1.3) fox"\n  use_lpw = true\n}\n',
))
register(Rule(
    Code.UNBALANCED_BRACKETS, "warning",
    "`(`/`)` or `[`/`]` do not pair up in `text`.",
    "Brackets group and weight words; an unpaired one is usually a typo that changes how "
    "the prompt is read. jinja's own `{{ }}` and `{% %}` are not counted.",
    bad=_T + '  text = "a (red fox"\n}\n', good=_T + '  text = "a (red) fox"\n}\n',
))
register(Rule(
    Code.EMPTY_TEXT, "error",
    "`text` renders to nothing but white space.",
    "Rendered text loses leading and trailing white space; an empty text is refused by the "
    "API. Every combination of the axes the template reads is rendered (bounded).",
    bad=_T + '  text = "{{ subject }}"\n  vars { subject = " " }\n}\n',
    good=_T + '  text = "{{ subject }}"\n  vars { subject = "a fox" }\n}\n',
))


def _templates(ctx: Context) -> Iterator[tuple[Field, Literal, str | None]]:
    """Every template literal written in this file, with its prompt (None in a preset)."""
    for preset in ctx.spec.presets:
        for f in preset.fields:
            if f.name in TEMPLATE_FIELDS and isinstance(f.value, Literal) \
                    and isinstance(f.value.value, str):
                yield f, f.value, None
    for pr in ctx.spec.prompts:
        for f in pr.fields:
            if f.name in TEMPLATE_FIELDS and isinstance(f.value, Literal) \
                    and isinstance(f.value.value, str):
                yield f, f.value, pr.name


def _text_items(ctx: Context) -> Iterator[tuple[Literal, str]]:
    """String items of `text` sweep axes (sent as written, not rendered)."""
    for pr in ctx.spec.prompts:
        for block in (pr.sweep, pr.zip):
            for axis in block.axes if block is not None else ():
                if axis.name == "text" and isinstance(axis.value, ListValue):
                    for item in axis.value.items:
                        if isinstance(item, Literal) and isinstance(item.value, str):
                            yield item, pr.name


def check_file(ctx: Context) -> None:
    used: set[str] = set()
    for f, lit, prompt in _templates(ctx):
        src = str(lit.value)
        used |= names_read(src)
        info = template_info(src)
        if info.error is not None:
            ctx.report(Code.TEMPLATE_SYNTAX_ERROR,
                       f"{f.name}: the template does not compile: {info.error}",
                       text_span(ctx, lit, info.error_line), prompt)
            continue
        for line, name in info.private:
            ctx.report(Code.TEMPLATE_SYNTAX_ERROR,
                       f"{f.name}: the template reaches for {name!r}; the sandbox "
                       "forbids names beginning with '_'",
                       text_span(ctx, lit, line), prompt)
        if f.name == "text":
            _brackets(ctx, lit, prompt)
    for item, prompt in _text_items(ctx):
        _brackets(ctx, item, prompt)
    for rp in ctx.res.prompts:
        for name in TEMPLATE_FIELDS:
            s = rp.params.get(name)
            if s is not None and isinstance(s.field.value, Literal) \
                    and isinstance(s.field.value.value, str):
                used |= names_read(s.field.value.value)
    owners: list[tuple[tuple[Field, ...], str | None]] = [(ctx.spec.vars, None)]
    owners += [(p.vars, None) for p in ctx.spec.presets]
    owners += [(p.vars, p.name) for p in ctx.spec.prompts]
    for fields, prompt in owners:
        for v in fields:
            if v.name not in used:
                ctx.report(Code.UNUSED_VARIABLE,
                           f"var {v.name!r} is not used by any template of this file",
                           v.name_span, prompt)


def _brackets(ctx: Context, lit: Literal, prompt: str | None) -> None:
    problem = bracket_problem(str(lit.value))
    if problem is not None:
        line, message = problem
        ctx.report(Code.UNBALANCED_BRACKETS, f"text has unbalanced brackets: {message}",
                   text_span(ctx, lit, line), prompt)


def _span(ctx: Context, view: PromptView, lit: Literal, line: int, s: Setting) -> Span:
    span = text_span(ctx, lit, line)
    return span if span.path == ctx.path else ctx.anchor(view.rp, place_of_setting(s))


def check_prompt(ctx: Context, view: PromptView) -> None:
    rp = view.rp
    lpw_off = not view.class_set("use_lpw") <= _ONLY_TRUE  # some value not true
    if lpw_off and ctx.current and only_flux(view):
        lpw_off = False  # flux ignores weights whatever use_lpw says: PS211, not PS304
    for name in TEMPLATE_FIELDS:
        if name in view.members:
            if name == "text":
                _text_axis(ctx, view, lpw_off)
            continue
        s = rp.params.get(name)
        if s is None or not isinstance(s.field.value, Literal) \
                or not isinstance(s.field.value.value, str):
            continue
        lit, src = s.field.value, s.field.value.value
        info = template_info(src)
        if info.error is not None:
            continue
        missing = _undefined(view, info.names) if info.names else []
        for n in missing:
            hint = did_you_mean(n, sorted(view.defined))
            ctx.report(Code.UNDEFINED_VARIABLE,
                       f"{name}: {n!r} is not defined: no var, parameter or axis of "
                       f"prompt {rp.name!r} sets it{hint}",
                       _span(ctx, view, lit, name_lines(src).get(n, 1), s), rp.name)
        if missing:
            continue
        # text and bare names render unless they reach past the output bound; anything more
        # may fail or reach past a bound
        failed = first_failure(view, name, src) if not plain_within_bounds(view, src) else None
        if failed is not None:
            at = f" at {failed[1]}" if failed[1] else ""
            ctx.report(Code.TEMPLATE_SYNTAX_ERROR,
                       f"{name}: the template fails to render{at}: {failed[0]}",
                       _span(ctx, view, lit, 1, s), rp.name)
            continue
        if name == "text":
            weighted = weight_line(src)
            if weighted is not None and lpw_off:
                ctx.report(Code.WEIGHTS_WITHOUT_LPW,
                           f"text uses weighted syntax {weighted[1]!r} but use_lpw "
                           "is not true", _span(ctx, view, lit, weighted[0], s),
                           rp.name)
            blank = (False, {}) if never_blank(src) else next(
                ((True, c) for out, c in renders(view, name, src) if not out), (False, {}))
            if blank[0]:
                at = f" at {blank[1]}" if blank[1] else ""
                ctx.report(Code.EMPTY_TEXT, f"text renders to white space only{at}",
                           _span(ctx, view, lit, 1, s), rp.name)
        elif name == "callback" and "{" in src:
            for out, coords in renders(view, name, src):
                bad = check_value(ctx.table[name], out)
                if bad is not None and bad[0] == Code.INVALID_URL:
                    at = f" at {coords}" if coords else ""
                    ctx.report(Code.INVALID_URL,
                               f"callback renders to {out!r}{at}, not an http(s) URL",
                               _span(ctx, view, lit, 1, s), rp.name)
                    break


def _undefined(view: PromptView, names: frozenset[str]) -> list[str]:
    """The names a template reads that nothing defines, sorted."""
    base, members = view.base_context, view.members
    missing = [n for n in names if n not in base and n not in members]
    if missing:
        known = jinja_names()
        missing = sorted(n for n in missing if n not in known)
    return missing


def _text_axis(ctx: Context, view: PromptView, lpw_off: bool) -> None:
    axis = view.members["text"].field.value
    if not isinstance(axis, ListValue):
        return
    for item in axis.items:
        if not isinstance(item, Literal) or not isinstance(item.value, str):
            continue
        if not item.value.strip():
            ctx.report(Code.EMPTY_TEXT, "text is white space only", item.span, view.name)
        weighted = weight_line(item.value)
        if weighted is not None and lpw_off:
            ctx.report(Code.WEIGHTS_WITHOUT_LPW,
                       f"text uses weighted syntax {weighted[1]!r} but use_lpw is "
                       "not true", item.span, view.name)
