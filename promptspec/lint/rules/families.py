"""PS210-PS212: what a flag needs, and what a model family ignores or limits (`current` only).

The family comes from `family` (file, preset, prompt or a sweep) or a known gallery base
tune; a sweep over `tune` or `family` is judged per value, and a finding then points at the
sweep item that brings the family in. Otherwise findings point at the ignored or limited
thing itself: the flag, the `negative_prompt` value, the weighted text, the second
`<lora:` token, `num_images`.
"""

from __future__ import annotations

from typing import Any

from promptspec.lint.rules._context import Context, Place, place_of_setting
from promptspec.lint.rules._render import weight_line
from promptspec.lint.rules._texts import SentText, families, locate, sent_texts, values_of
from promptspec.lint.rules._value_sets import UNSET, PromptView
from promptspec.lint.rules.registry import Rule, register
from promptspec.model import Span
from promptspec.params.flags import FLAGS

__all__ = ["INPUTS", "check_prompt", "only_flux"]

_T = 'tune 7\n\nprompt a {\n'
_FLUX = 'tune 1504944\n\nprompt a {\n'
INPUTS = ("input_image", "input_image_url", "input_image_base64")

register(Rule(
    "PS210", "flag-requirement", "error",
    "A flag in `text` without what it needs.",
    "`--tiled_upscale_v2` exists only on backend 1 (`backend_version` set to anything else "
    "is an error); `--faceid_portrait` and `--fix_bindi` are not on backend 1 yet; "
    "`--only_upscale`, `--outpaint*` and `--mask_*` work on an input image (`input_image`, "
    "`input_image_url` or `input_image_base64`). An unset `backend_version` is the "
    "account's choice and is not judged.",
    bad=_T + '  text = "a wider view --outpaint center"\n}\n',
    good=_T + '  text = "a wider view --outpaint center"\n'
              '  input_image_url = "https://example.com/p.png"\n}\n',
    profiles=("current",),
))
register(Rule(
    "PS211", "ignored-by-family", "warning",
    "The prompt's model family ignores this.",
    "`flux` ignores `negative_prompt`, weighted syntax such as `(word:1.3)` (whatever "
    "`use_lpw` says; on flux this replaces PS304) and `--background_color`. The family is "
    "the `family` key, else that of a known gallery base tune (1504944 is flux).",
    bad=_FLUX + '  text = "a fox"\n  negative_prompt = "blurry"\n}\n',
    good=_FLUX + '  text = "a sharp photo of a fox"\n}\n',
    profiles=("current",),
))
register(Rule(
    "PS212", "family-limit", "error",
    "The prompt exceeds a limit of its model family.",
    "`sdxl` takes at most one `<lora:...>` token (the finding points at the second); "
    "`seedream` makes at most 4 images per prompt.",
    bad='tune 7\nfamily "sdxl"\n\nprompt a {\n  text = "<lora:11:0.5><lora:22:0.5> ohwx man"\n}\n',
    good='tune 7\nfamily "sdxl"\n\nprompt a {\n  text = "<lora:11:0.5> ohwx man"\n}\n',
    profiles=("current",),
))


def only_flux(view: PromptView) -> bool:
    """Whether every family the prompt is sent to is flux (then PS211 replaces PS304)."""
    fams = families(view)
    return bool(fams) and all(f == "flux" for f, _ in fams)


def _at(ctx: Context, view: PromptView, name: str, value_place: Place | None) -> Span:
    """The place of a parameter's value: the sweep item, else where it is set."""
    if value_place is not None:
        return value_place.span
    s = view.rp.params.get(name)
    assert s is not None
    place = place_of_setting(s)
    return s.field.value.span if place.in_prompt else ctx.anchor(view.rp, place)


def _no_input(view: PromptView) -> bool:
    return any(all(combo[n][0] == UNSET for n in INPUTS) for combo in view.joint(INPUTS))


def _backend_clash(flag_backend: int, backends: list[tuple[Any, Place | None]]
                   ) -> tuple[Any, Place | None] | None:
    for value, place in backends:
        if value is None:
            continue
        if (flag_backend == 1 and value != 1) or (flag_backend == -1 and value == 1):
            return value, place
    return None


class _Needs:
    """What the flag requirements read, computed once per prompt on first use."""

    def __init__(self, view: PromptView) -> None:
        self.view = view
        self._backends: list[tuple[Any, Place | None]] | None = None
        self._no_input: bool | None = None

    @property
    def backends(self) -> list[tuple[Any, Place | None]]:
        if self._backends is None:
            self._backends = values_of(self.view, "backend_version")
        return self._backends

    @property
    def no_input(self) -> bool:
        if self._no_input is None:
            self._no_input = _no_input(self.view)
        return self._no_input


def _flag_checks(ctx: Context, view: PromptView, sent: SentText, fams: set[str],
                 fam_places: dict[str, Place | None], needs: _Needs) -> None:
    for use in sent.scan.flags:
        flag = FLAGS.get(use.name)
        if flag is None:
            continue
        if flag.backend:
            clash = _backend_clash(flag.backend, needs.backends)
            if clash is not None:
                value, place = clash
                what = ("exists only on backend_version 1" if flag.backend == 1
                        else "is not available on backend_version 1 yet")
                span = place.span if place is not None else locate(ctx, view, sent, use.start,
                                                                   f"--{use.name}")
                ctx.report("PS210", f"--{use.name} {what}; backend_version is {value!r}",
                           span, view.name)
        if flag.needs_input and needs.no_input:
            ctx.report("PS210", f"--{use.name} works on an input image, but none of "
                                f"{', '.join(INPUTS)} is set",
                       locate(ctx, view, sent, use.start, f"--{use.name}"), view.name)
        for fam in flag.ignored_by:
            if fam in fams:
                place = fam_places[fam]
                span = place.span if place is not None else locate(ctx, view, sent, use.start,
                                                                   f"--{use.name}")
                ctx.report("PS211", f"--{use.name} is ignored by {fam} models", span,
                           view.name)


def check_prompt(ctx: Context, view: PromptView) -> None:
    if not ctx.current:
        return
    fam_list = families(view)
    fam_places: dict[str, Place | None] = {}
    for fam, place in fam_list:
        fam_places.setdefault(fam, place)
    fams = set(fam_places)
    needs = _Needs(view)
    for sent in sent_texts(view):
        _flag_checks(ctx, view, sent, fams, fam_places, needs)
        if "sdxl" in fams and len(sent.scan.loras) > 1:
            place = fam_places["sdxl"]
            second = sent.scan.loras[1]
            token = sent.text[second: sent.text.find(">", second) + 1]
            span = place.span if place is not None else locate(ctx, view, sent, second, token)
            ctx.report("PS212", f"sdxl takes one <lora:...> token; this text has "
                                f"{len(sent.scan.loras)}", span, view.name)
    if "flux" in fams:
        _flux(ctx, view, fam_places["flux"])
    if "seedream" in fams:
        for value, vplace in values_of(view, "num_images"):
            if isinstance(value, int) and not isinstance(value, bool) and value > 4:
                place = fam_places["seedream"]
                span = place.span if place is not None else _at(ctx, view, "num_images", vplace)
                ctx.report("PS212", f"seedream makes at most 4 images per prompt; num_images "
                                    f"is {value}", span, view.name)
                break


def _flux(ctx: Context, view: PromptView, fam_place: Place | None) -> None:
    for value, vplace in values_of(view, "negative_prompt"):
        if value is not None:
            span = fam_place.span if fam_place is not None else _at(
                ctx, view, "negative_prompt", vplace)
            ctx.report("PS211", "negative_prompt is ignored by flux models", span, view.name)
            break
    for sent in sent_texts(view):
        weighted = weight_line(sent.text)
        if weighted is None:
            continue
        if fam_place is not None:
            span = fam_place.span
        else:
            start = sent.text.find(weighted[1])
            span = locate(ctx, view, sent, start, weighted[1])
        ctx.report("PS211", f"weighted syntax {weighted[1]!r} is ignored by flux models",
                   span, view.name)
        break
