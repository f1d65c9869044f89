"""PS110-PS112 and PS213: flags and tokens inside `text` (the `current` profile only).

Judged on every text a prompt can send (rendered over the axes the template reads,
bounded); each finding points at its `--` or `<`, or at the var value or sweep item that
supplies the bad part.
"""

from __future__ import annotations

from promptspec.lint.rules._context import Context
from promptspec.lint.rules._texts import locate, sent_texts
from promptspec.lint.rules._value_sets import PromptView
from promptspec.lint.rules.registry import Rule, register

__all__ = ["CODES", "check_prompt"]

_T = 'tune 7\n\nprompt a {\n'
CODES = frozenset({"PS110", "PS111", "PS112", "PS213"})

register(Rule(
    "PS110", "unknown-flag", "error",
    "A `--name` in `text` that is not a known flag.",
    "The current API reads flags inside `text` (`--tiled_upscale_v2`, `--outpaint center`, "
    "`--mask_prompt shirt`, ...). A flag it does not know is ignored silently while the "
    "prompt is still charged, so a misspelt flag is an error. A flag starts the text or "
    "follows white space; the message suggests the closest known flag. Only under the "
    "`current` profile.",
    bad=_T + '  text = "a harbour at dawn --tiled_upscalev2"\n  backend_version = 1\n}\n',
    good=_T + '  text = "a harbour at dawn --tiled_upscale_v2"\n  backend_version = 1\n}\n',
    profiles=("current",),
))
register(Rule(
    "PS111", "invalid-flag-value", "error",
    "A flag's value is missing, of the wrong type, out of range, or not a choice.",
    "Flags that take a value check it: numbers (`--resemblance` 0-1), integers, "
    "`--mask_dilate` (an integer or integer%), `--outpaint` (top-left, ..., center), "
    "`--controlnets` (controlnet names), `--background_color` (#RRGGBB). "
    "`--controlnet_weights` gives one weight per `--controlnets` name.",
    bad=_T + '  text = "a portrait --resemblance 1.5"\n}\n',
    good=_T + '  text = "a portrait --resemblance 0.5"\n}\n',
    profiles=("current",),
))
register(Rule(
    "PS112", "invalid-token", "error",
    "A malformed `<lora:...>` or `<faceid:...>` token.",
    "Tokens are `<lora:NAME_OR_ID:WEIGHT>` and `<faceid:ID:WEIGHT>`: every part present, "
    "the faceid ID digits, the weight a number (a LoRA weight may be negative), and the "
    "token closed with `>`.",
    bad=_T + '  text = "portrait <faceid:987:x> woman"\n}\n',
    good=_T + '  text = "portrait <faceid:987:1> woman"\n}\n',
    profiles=("current",),
))
register(Rule(
    "PS213", "faceid-without-class", "warning",
    "A `<faceid:...>` token not followed by a class word.",
    "A FaceID reference applies to the subject named right after it (`<faceid:123:1> "
    "woman`); followed by a comma, another token, a flag or the end of the text it has "
    "nothing to apply to.",
    bad=_T + '  text = "a portrait of <faceid:987:1>, smiling"\n}\n',
    good=_T + '  text = "a portrait of <faceid:987:1> woman, smiling"\n}\n',
    profiles=("current",),
))


def check_prompt(ctx: Context, view: PromptView) -> None:
    if not ctx.current:
        return
    for sent in sent_texts(view):
        for problem in sent.scan.problems:
            span = locate(ctx, view, sent, problem.start, problem.part)
            ctx.report(problem.code, f"text: {problem.message}", span, view.name)
