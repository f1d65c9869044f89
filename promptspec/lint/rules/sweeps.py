"""PS401-PS407: sweep and zip axes (lengths, emptiness, size, duplicates, overrides, names).

Sizes come from `len` of lazy axis values; duplicate points are found from each axis's
written values (typed as expansion types them), and duplicate prompts by expanding only
small prompts whose fields' value sets overlap (`_duplicates`, `_overlap`).
"""

from __future__ import annotations

from promptspec.axes import AxisError
from promptspec.diagnostics import Code
from promptspec.lint.rules._context import Context
from promptspec.lint.rules._duplicates import duplicate_points
from promptspec.lint.rules._render import names_read
from promptspec.lint.rules._value_sets import PromptView
from promptspec.lint.rules.registry import Rule, register
from promptspec.params import FAMILY, PARAMS, TEMPLATE_FIELDS, TUNE, did_you_mean

__all__ = ["check_prompt", "prompt_count", "template_names"]

_T = 'tune 7\n\nprompt a {\n  text = "a fox"\n'

register(Rule(
    Code.ZIP_LENGTH_MISMATCH, "error",
    "`zip` members have different lengths.",
    "A zip walks its members in lock-step, pairing their i-th values, so every member needs "
    "the same number of values. The finding points at the zip and names the lengths.",
    bad=_T + "  zip {\n    seed = [1, 2]\n    cfg_scale = [5]\n  }\n}\n",
    good=_T + "  zip {\n    seed = [1, 2]\n    cfg_scale = [5, 7]\n  }\n}\n",
))
register(Rule(
    Code.EMPTY_AXIS, "error",
    "An axis has no values.",
    "An empty axis makes the cartesian product empty: the prompt would expand to nothing. "
    "(An invalid range is PS407 alone.)",
    bad=_T + "  sweep {\n    seed = []\n  }\n}\n", good=_T + "  sweep {\n    seed = [1]\n  }\n}\n",
))
register(Rule(
    Code.SWEEP_TOO_LARGE, "warning",
    "A prompt expands to more than `max-requests` requests (default 1000).",
    "The number of requests is the product of the axis lengths; every request costs. Raise "
    "`max-requests` in [tool.promptspec] when a large sweep is meant.",
    bad=_T + "  sweep {\n    seed = 1..2000\n  }\n}\n",
    good=_T + "  sweep {\n    seed = 1..20\n  }\n}\n",
))
register(Rule(
    Code.DUPLICATE_REQUEST, "warning",
    "Two points or prompts of one spec file yield the same request.",
    "Axis values that are equal once typed (`[7, 7.0]` for cfg_scale), var values that "
    "render identically, or two prompts that resolve to the same requests send the same "
    "request twice (the same id), paying twice for one image set.",
    bad=_T + "  sweep {\n    cfg_scale = [7, 7.0]\n  }\n}\n",
    good=_T + "  sweep {\n    cfg_scale = [7, 7.5]\n  }\n}\n",
))
register(Rule(
    Code.AXIS_OVERRIDES_FIELD, "warning",
    "The prompt body sets a parameter that its own sweep also sweeps.",
    "The sweep point is merged last, so the body's value is never sent. A var with a "
    "default in `vars` may be swept freely.",
    bad=_T + "  seed = 1\n  sweep {\n    seed = [1, 2]\n  }\n}\n",
    good=_T + "  sweep {\n    seed = [1, 2]\n  }\n}\n",
))
register(Rule(
    Code.UNKNOWN_AXIS, "error",
    "An axis is neither a parameter nor a var that a template reads.",
    "An axis either sets an API parameter or a template variable. One that is neither "
    "changes nothing in the requests (often a misspelt parameter).",
    bad=_T + "  sweep {\n    mood = [\"calm\"]\n  }\n}\n",
    good='tune 7\n\nprompt a {\n  text = "a {{ mood }} fox"\n  sweep {\n'
         '    mood = ["calm"]\n  }\n}\n',
))
register(Rule(
    Code.INVALID_RANGE, "error",
    "A range or random() that yields no values.",
    "A step of 0 or pointing away from the end, a count below 1, a non-numeric bound, or "
    "random(n) asking for more distinct values than the parameter's range holds.",
    bad=_T + "  sweep {\n    steps = 10..20 step -5\n  }\n}\n",
    good=_T + "  sweep {\n    steps = 10..20 step 5\n  }\n}\n",
))


def template_names(view: PromptView) -> set[str]:
    """Every name read by the templates that reach the prompt."""
    out: set[str] = set()
    for name in TEMPLATE_FIELDS:
        s = view.rp.params.get(name)
        if s is not None and name not in view.members:
            v = getattr(s.field.value, "value", None)
            if isinstance(v, str):
                out |= names_read(v)
    return out


def prompt_count(view: PromptView) -> int:
    """Requests the prompt expands to (axes that have no values are left out)."""
    return view.count


def check_prompt(ctx: Context, view: PromptView) -> None:
    rp = view.rp
    prompt = rp.name
    swept: set[str] = set()
    for ai, ms in enumerate(view.axis_members):
        lengths: list[tuple[str, int]] = []
        for m in ms:
            values = m.values
            if isinstance(values, AxisError):
                ctx.report(values.code, values.message, values.span, prompt)
                continue
            swept.add(m.field.name)
            if len(values) == 0:
                ctx.report(Code.EMPTY_AXIS,
                           f"axis {m.field.name!r} has no values", m.field.value.span,
                           prompt)
            else:
                lengths.append((m.field.name, len(values)))
        if len(lengths) > 1 and rp.axes[ai].is_zip and len({n for _, n in lengths}) > 1:
            said = ", ".join(f"{name} has {n}" for name, n in lengths)
            ctx.report(Code.ZIP_LENGTH_MISMATCH, f"zip members have different lengths: {said}",
                       rp.axes[ai].span, prompt)
    if not view.axis_members:
        return  # no axis: nothing below can find anything
    count = prompt_count(view)
    if count > ctx.max_requests:
        ctx.report(Code.SWEEP_TOO_LARGE,
                   f"prompt {prompt!r} expands to {count} requests, more than "
                   f"max-requests ({ctx.max_requests})", rp.prompt.name_span, prompt)
    if swept:
        for f in rp.prompt.fields:
            if f.name in swept and (f.name in PARAMS or f.name in (TUNE, FAMILY)):
                ctx.report(Code.AXIS_OVERRIDES_FIELD,
                           f"{f.name} is set here and also swept by the prompt; the "
                           "sweep wins, so this value is never sent", f.span, prompt)
    read = template_names(view)
    for ms in view.axis_members:
        for m in ms:
            n = m.field.name
            if n in PARAMS or n in (TUNE, FAMILY) or n in read:
                continue
            hint = did_you_mean(n, [*PARAMS, TUNE])
            ctx.report(Code.UNKNOWN_AXIS,
                       f"axis {n!r} is neither an API parameter nor a var that a "
                       f"template reads{hint}", m.field.name_span, prompt)
    dup = duplicate_points(view, read)
    if dup is not None:
        ctx.report(Code.DUPLICATE_REQUEST, f"prompt {prompt!r}: {dup}", rp.prompt.name_span, prompt)
