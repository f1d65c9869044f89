"""PS101-PS109: single parameters (name, type, range, choice, multiple, URL, file) and the
two a prompt must have (text and tune).

Fields are judged where they are written (each preset once); PS106 and PS108 per prompt.
"""

from __future__ import annotations

from promptspec.lint.rules._context import Context
from promptspec.lint.rules._fields import judge_axis, judge_field, judge_var
from promptspec.lint.rules._value_sets import UNSET, PromptView
from promptspec.lint.rules.registry import Rule, register
from promptspec.params import FIRST_FRAMES, TUNE

__all__ = ["check_file", "check_prompt"]

_T = 'tune 7\n\nprompt a {\n  text = "a fox"\n'

register(Rule(
    "PS101", "unknown-parameter", "error",
    "Not a parameter of the Create-a-prompt API.",
    "Every field of a preset or prompt (other than vars, sweeps, `extends`, `tune` and "
    "`family`) is sent to the API as a parameter, so it must be one the API knows: one of "
    "the table of the API profile in force (`current`, the default, or `reference`, the "
    "2023 table alone; `api` in [tool.promptspec] or --api). The message suggests the "
    "closest name. Template variables belong in `vars`.",
    bad=_T + '  sampler = "euler"\n}\n', good=_T + '  scheduler = "euler"\n}\n',
))
register(Rule(
    "PS102", "wrong-type", "error",
    "A parameter's value has the wrong type.",
    "Each parameter takes one type: `steps` an integer, `super_resolution` a boolean, "
    "`cfg_scale` a number, `input_image` file(...), `tune` a positive integer, "
    "`input_image_base64` a data:image/...;base64, URL, `video_model` a non-empty string. "
    "An array parameter (`image_references`, `image_reference_urls`) takes a list; for any "
    "other parameter a list, range or random() is allowed only as a sweep axis.",
    bad=_T + '  super_resolution = "yes"\n}\n', good=_T + "  super_resolution = true\n}\n",
))
register(Rule(
    "PS103", "out-of-range", "error",
    "A number lies outside the parameter's documented range.",
    "num_images 1-8, seed 0-2^32, cfg_scale 0-15, steps 0-50, denoising_strength and "
    "controlnet_conditioning_scale 0-1, both ends included. In a sweep the finding points at "
    "the list item or range that holds the bad value.",
    bad=_T + "  steps = 80\n}\n", good=_T + "  steps = 50\n}\n",
))
register(Rule(
    "PS104", "invalid-choice", "error",
    "The value is not one of the parameter's choices.",
    "aspect_ratio, scheduler, backend_version, style, color_grading and controlnet take one "
    "of a fixed set of values. A value that differs only in case is fixed by --fix.",
    bad=_T + '  scheduler = "Euler"\n}\n', good=_T + '  scheduler = "euler"\n}\n', fixable=True,
))
register(Rule(
    "PS105", "not-multiple-of-8", "error",
    "`w` or `h` is not a multiple of 8.",
    "Image sizes are multiples of 8. --fix replaces the value with the nearest multiple "
    "(a tie goes up).",
    bad=_T + "  w = 500\n}\n", good=_T + "  w = 504\n}\n", fixable=True,
))
register(Rule(
    "PS106", "missing-text", "error",
    "A prompt has no `text`.",
    "`text` is the one required parameter: set it in the prompt or in a preset it extends. "
    "A text of null counts as unset. Under the `current` profile, a video prompt "
    "(`video_model`) with a first frame (`video_first_frame`, its URL, `input_image` or "
    "`input_image_url`) needs none.",
    bad="tune 7\n\nprompt a {\n  seed = 1\n}\n", good=_T + "  seed = 1\n}\n",
))
register(Rule(
    "PS107", "invalid-url", "error",
    "A URL parameter is not an http(s) URL.",
    "`callback`, every `*_url` parameter and each item of `image_reference_urls` must be an "
    "http:// or https:// URL. A callback is a template: it is judged on its rendered "
    "values.",
    bad=_T + '  callback = "mailto:me@example.com"\n}\n',
    good=_T + '  callback = "https://example.com/done"\n}\n',
))
register(Rule(
    "PS108", "missing-tune", "error",
    "No tune id reaches a prompt.",
    "Every request goes to a tune: set `tune N` in the file, `tune = N` in a preset or the "
    "prompt, or sweep `tune`.",
    bad='prompt a {\n  text = "a fox"\n}\n', good='prompt a {\n  tune = 7\n  text = "a fox"\n}\n',
))
register(Rule(
    "PS109", "file-not-found", "error",
    "`file(...)` names no readable file inside the project root.",
    "Uploaded images are read from paths relative to the spec file; they must exist, be "
    "readable regular files, and lie inside the project root.",
    bad=_T + '  input_image = file("no-such-image.png")\n}\n',
    good=_T + '  input_image_url = "https://example.com/pose.png"\n}\n',
))


def check_file(ctx: Context) -> None:
    """Every field of the file, once, where it is written."""
    spec = ctx.spec
    if spec.tune is not None:
        judge_field(ctx, spec.tune, None)
    for v in spec.vars:
        judge_var(ctx, v, None)
    for preset in spec.presets:
        for f in preset.fields:
            judge_field(ctx, f, None)
        for v in preset.vars:
            judge_var(ctx, v, None)
    for pr in spec.prompts:
        for f in pr.fields:
            judge_field(ctx, f, pr.name)
        for v in pr.vars:
            judge_var(ctx, v, pr.name)
        for block in (pr.sweep, pr.zip):
            for axis in block.axes if block is not None else ():
                judge_axis(ctx, axis, pr.name)


def check_prompt(ctx: Context, view: PromptView) -> None:
    """PS106 and PS108: what a whole prompt lacks."""
    rp = view.rp
    if UNSET in view.class_set("text") and not _video_without_text(ctx, view):
        ctx.report("PS106", f"prompt {rp.name!r} has no text (set `text` in the prompt or a "
                            "preset it extends)", rp.prompt.name_span, rp.name)
    if UNSET in view.class_set(TUNE):
        ctx.report("PS108", f"no tune id reaches prompt {rp.name!r} (set `tune` in the file, "
                            "a preset or the prompt)", rp.prompt.name_span, rp.name)


def _video_without_text(ctx: Context, view: PromptView) -> bool:
    """Whether every way the prompt lacks text is a video prompt with a first frame."""
    if not ctx.current:
        return False
    names = ("text", "video_model", *FIRST_FRAMES)
    for combo in view.joint(names):
        if combo["text"][0] != UNSET:
            continue
        if combo["video_model"][0] == UNSET or all(combo[n][0] == UNSET for n in FIRST_FRAMES):
            return False
    return True
