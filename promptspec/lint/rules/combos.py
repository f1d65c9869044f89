"""PS201-PS209: parameters that need, or exclude, each other (from `params.REQUIREMENTS`).

Each requirement is judged on the combinations of value classes (unset / true / other)
its fields can take together in a prompt, never on the enumerated sweep. The finding
points at the place in the prompt that brings the fields together and names the other.
"""

from __future__ import annotations

from promptspec.diagnostics import Code, Edit
from promptspec.lint.rules._context import Context, Place
from promptspec.lint.rules._value_sets import OTHER, TRUE, UNSET, PromptView
from promptspec.lint.rules.registry import Rule, register
from promptspec.model import Span
from promptspec.params import Requirement, requirement_fails, requirements_for

__all__ = ["check_prompt"]

_T = "tune 7\n\nprompt a {\n  text = \"a fox\"\n"

register(Rule(
    Code.INPAINT_FACES_REQUIRES_SUPER_RESOLUTION, "error",
    "`inpaint_faces` is true while `super_resolution` is not.",
    "The API inpaints faces only on the super-resolution pass. The finding points at the "
    "prompt's own setting, else at the `extends` that brings the preset in, and names the "
    "other place. --fix sets super_resolution to true in the prompt.",
    bad=_T + "  inpaint_faces = true\n}\n",
    good=_T + "  inpaint_faces = true\n  super_resolution = true\n}\n", fixable=True,
))
register(Rule(
    Code.HIRES_FIX_REQUIRES_SUPER_RESOLUTION, "error",
    "`hires_fix` is true while `super_resolution` is not.",
    "Hires fix adds detail during super resolution, so it needs super_resolution true. "
    "--fix sets super_resolution to true in the prompt.",
    bad=_T + "  hires_fix = true\n}\n",
    good=_T + "  hires_fix = true\n  super_resolution = true\n}\n", fixable=True,
))
register(Rule(
    Code.CONTROLNET_REQUIRES_INPUT_IMAGE, "error",
    "`controlnet` without `input_image` or `input_image_url`.",
    "A ControlNet conditions the image on an input image; without one the API refuses it.",
    bad=_T + '  controlnet = "pose"\n}\n',
    good=_T + '  controlnet = "pose"\n  input_image_url = "https://example.com/p.png"\n}\n',
))
register(Rule(
    Code.MASK_REQUIRES_INPUT_IMAGE, "error",
    "A mask without the matching input image.",
    "`mask_image` needs `input_image`, and `mask_image_url` needs `input_image_url`: a mask "
    "selects a region of the input image.",
    bad=_T + '  mask_image_url = "https://example.com/m.png"\n}\n',
    good=_T + '  input_image_url = "https://example.com/s.png"\n'
              '  mask_image_url = "https://example.com/m.png"\n}\n',
))
register(Rule(
    Code.LORA_SCALE_NOT_ALLOWED, "error",
    "`lora_scale` is only accepted in a tune's `prompts_attributes`.",
    "The Create-a-prompt endpoint does not take lora_scale; LoRA weights are written in the "
    "text (`<lora:name:0.8>`) or set when the tune is created.",
    bad=_T + "  lora_scale = 1.0\n}\n", good=_T + "  seed = 1\n}\n",
))
register(Rule(
    Code.CONFLICTING_INPUTS, "error",
    "Both an uploaded image and its URL form are set.",
    "`input_image`, `input_image_url` and `input_image_base64` (or `mask_image` and "
    "`mask_image_url`) are ways to give one input; give one.",
    bad=_T + '  input_image_url = "https://example.com/s.png"\n'
             '  input_image = file("no-such.png")\n}\n',
    good=_T + '  input_image_url = "https://example.com/s.png"\n}\n',
))
register(Rule(
    Code.IMG2IMG_PARAMETER_WITHOUT_INPUT, "warning",
    "`denoising_strength` without an input image.",
    "Denoising strength tells img2img how far to move from the input image; without "
    "input_image or input_image_url it has no effect.",
    bad=_T + "  denoising_strength = 0.6\n}\n",
    good=_T + "  denoising_strength = 0.6\n  input_image_url = \"https://example.com/s.png\"\n}\n",
))
register(Rule(
    Code.CONTROLNET_PARAMETER_WITHOUT_CONTROLNET, "warning",
    "A ControlNet parameter without `controlnet`.",
    "`controlnet_conditioning_scale` and `controlnet_txt2img` only matter when a controlnet "
    "is set; one finding per such parameter.",
    bad=_T + "  controlnet_txt2img = false\n}\n", good=_T + "  seed = 1\n}\n",
))
register(Rule(
    Code.ASPECT_RATIO_WITH_SIZE, "warning",
    "`aspect_ratio` or `ar` together with `w`/`h`, or with each other.",
    "The API sizes the image by either an aspect ratio or an explicit width and height; "
    "giving both leaves one of them ignored.",
    bad=_T + '  aspect_ratio = "2:3"\n  w = 512\n}\n', good=_T + '  aspect_ratio = "2:3"\n}\n',
))

_REPRESENTATIVE = {UNSET: None, TRUE: True, OTHER: 0}
_ONLY_UNSET, _ONLY_TRUE = frozenset({UNSET}), frozenset({TRUE})
_FIXABLE = (Code.INPAINT_FACES_REQUIRES_SUPER_RESOLUTION, Code.HIRES_FIX_REQUIRES_SUPER_RESOLUTION)


def _where(place: Place | None) -> str:
    return place.where if place is not None else "not set"


def _message(req: Requirement, combo: dict[str, tuple[str, Place | None]]) -> tuple[str, list[str]]:
    """The message and the other fields it names."""
    f = req.field
    here = _where(combo[f][1])
    if req.needs_true:
        others = [n for n in req.needs if combo[n][0] != TRUE]
        need = ", ".join(f"{n} is not true ({_where(combo[n][1])})" for n in others)
        return f"{f} is true ({here}) but {need}", others
    if req.conflicts:
        others = [n for n in req.needs if combo[n][0] != UNSET]
        both = " and ".join(f"{n} ({_where(combo[n][1])})" for n in others)
        tail = "; the API uses one of them" if req.warning else "; give one"
        return f"{f} ({here}) is set together with {both}{tail}", others
    needs = " or ".join(req.needs)
    if req.warning:
        return f"{f} ({here}) has no effect without {needs}", []
    if len(req.needs) > 1:
        return f"{f} is set ({here}) but neither {' nor '.join(req.needs)} is set", []
    return f"{f} is set ({here}) but {needs} is not set", []


def _active(req: Requirement, view: PromptView) -> bool:
    """Whether some value of the requirement's field makes it apply (else it never fails)."""
    classes = view.class_set(req.field)
    return TRUE in classes or (not req.when_true and OTHER in classes)


def _may_fail(req: Requirement, view: PromptView) -> bool:
    """Whether some combination of the needed fields' classes, each taken alone, breaks
    `req` once its field is active (what `requirement_fails` says of the representatives):
    a superset of the combinations `joint` yields (zip members move together), so a
    requirement that holds here holds on every point, and needs no places."""
    if req.conflicts:  # some other field set
        return any(not view.class_set(n) <= _ONLY_UNSET for n in req.needs)
    if req.needs_true:  # some other field not true
        return any(not view.class_set(n) <= _ONLY_TRUE for n in req.needs)
    return all(UNSET in view.class_set(n) for n in req.needs)  # every other field unset


def check_prompt(ctx: Context, view: PromptView) -> None:
    members, params = view.members, view.rp.params
    for req in requirements_for(ctx.profile):
        if req.field not in members and req.field not in params:
            continue  # unset: never active
        if not _active(req, view) or not _may_fail(req, view):
            continue
        names = (req.field, *req.needs)
        for combo in view.joint(names):
            values = {n: _REPRESENTATIVE[c] for n, (c, _) in combo.items()}
            if not requirement_fails(req, values):
                continue
            message, others = _message(req, combo)
            span = _anchor(ctx, view, req.field, others, combo)
            fix = _fix(ctx, view) if req.code in _FIXABLE else None
            ctx.report(req.code, message, span, view.name, fix)
            break


def _anchor(ctx: Context, view: PromptView, field: str, others: list[str],
            combo: dict[str, tuple[str, Place | None]]) -> Span:
    primary = combo[field][1]
    assert primary is not None  # the field is active, so it is set somewhere
    if primary.in_prompt:
        return primary.span
    for n in others:
        p = combo[n][1]
        if p is not None and p.in_prompt:
            return p.span
    return ctx.anchor(view.rp, primary)


def _fix(ctx: Context, view: PromptView) -> tuple[Edit, ...] | None:
    """Set super_resolution true in the prompt: rewrite its own value, or add a line."""
    pr = view.rp.prompt
    if "super_resolution" in view.members:
        return None
    own = next((f for f in pr.fields if f.name == "super_resolution"), None)
    if own is not None:
        s = own.value.span
        if s.line != s.end_line:
            return None
        return (Edit(s.line, s.column, s.end_line, s.end_column, "true"),)
    spans = [f.span for f in (*pr.fields, *pr.vars)]
    spans += [b.span for b in (pr.sweep, pr.zip) if b is not None]
    if not spans:
        return None
    first = min(spans, key=lambda s: (s.line, s.column))
    text = ctx.line(first.line)
    indent = text[: first.column - 1]
    if indent.strip() or first.line == pr.name_span.line:
        return None
    line = "super_resolution: true" if ctx.spec.syntax == "yaml" else "super_resolution = true"
    return (Edit(first.line, 1, first.line, 1, f"{indent}{line}\n"),)
