"""The instructions `text` may carry under the `current` profile, as data: flags, tokens and
model families, with a scanner that reads them out of one rendered text in linear time.

`FLAGS` (name -> `Flag`: value kind, description, requirements), `FAMILIES`, and
`KNOWN_TUNES` (gallery base tune id -> family) are the tables that the rules, the language
server's hover and completion, and the README read. `scan(text)` finds every flag and
`<lora:...>`/`<faceid:...>` token of a text, with what is wrong with each.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import field
from functools import lru_cache
from typing import Literal

from promptspec.diagnostics import Code
from promptspec.model import record
from promptspec.params.checks import did_you_mean
from promptspec.params.table import PARAMS

__all__ = [
    "FAMILIES",
    "FLAGS",
    "KNOWN_TUNES",
    "Flag",
    "FlagUse",
    "Problem",
    "Scan",
    "flags_table",
    "scan",
]

ValueKind = Literal[
    "none", "number", "unit", "int", "dilate", "choice", "words", "quoted", "names", "numbers",
    "color", "name",
]

FAMILIES: tuple[str, ...] = ("sd15", "sdxl", "flux", "gemini", "seedream", "gpt-image")
"""The model families a spec's `family` key may name."""

KNOWN_TUNES: Mapping[int, str] = {
    1504944: "flux", 666678: "sdxl", 3618064: "gemini", 3691308: "seedream", 4665564: "gpt-image",
}
"""Astria's gallery base tunes whose family is known without a `family` key."""

OUTPAINT_CHOICES = (
    "top-left", "top-right", "bottom-left", "bottom-right", "center", "top-center",
    "bottom-center", "left-center", "right-center",
)
CONTROLNET_NAMES: tuple[str, ...] = tuple(map(str, PARAMS["controlnet"].choices or ()))
"""`--controlnets` takes the names of the `controlnet` parameter's choices."""


@record
class Flag:
    """One known flag: its value kind, description, and what it needs.

    `needs_input`: only with an input image. `backend`: 1 when the flag exists only on
    backend 1; -1 when backend 1 does not have it. `ignored_by`: families that ignore it.
    """

    name: str
    value: ValueKind
    doc: str
    choices: tuple[str, ...] = ()
    needs_input: bool = False
    backend: int = 0
    ignored_by: tuple[str, ...] = ()
    legacy: bool = False

    def value_text(self) -> str:
        return _VALUE_TEXT[self.value]


_VALUE_TEXT: dict[str, str] = {
    "none": "", "number": "a number", "unit": "a number from 0 to 1", "int": "an integer",
    "dilate": "an integer or integer% (may be negative)", "choice": "one of the choices",
    "words": "words", "quoted": "words or a quoted string", "names": "controlnet names",
    "numbers": "numbers, one per --controlnets name", "color": "a colour #RRGGBB",
    "name": "a name",
}

_TABLE: tuple[Flag, ...] = (
    Flag("tiled_upscale", "none", "Upscale in tiles."),
    Flag("tiled_upscale_v2", "none", "Tiled upscale, version 2 (backend 1 only).", backend=1),
    Flag("hires_cfg_scale", "number", "CFG scale of the hires pass."),
    Flag("resemblance", "unit", "How closely the upscale keeps the original (0-1)."),
    Flag("only_upscale", "none", "Only upscale the input image.", needs_input=True),
    Flag("upscale_v4", "none", "Upscaler version 4."),
    Flag("mask_prompt", "words", "Words naming what to mask in the input image.",
         needs_input=True),
    Flag("mask_negative", "words", "Words naming what to keep out of the mask.",
         needs_input=True),
    Flag("mask_invert", "none", "Invert the mask.", needs_input=True),
    Flag("mask_dilate", "dilate", "Grow (or, negative, shrink) the mask, in pixels or %.",
         needs_input=True),
    Flag("hires_denoising_strength", "unit", "Denoising strength of the hires pass (0-1)."),
    Flag("outpaint", "choice", "Outpaint the input image from this side.",
         choices=OUTPAINT_CHOICES, needs_input=True),
    Flag("outpaint_width", "int", "Width of the outpainted image.", needs_input=True),
    Flag("outpaint_height", "int", "Height of the outpainted image.", needs_input=True),
    Flag("outpaint_prompt", "quoted", "Text for the outpainted area.", needs_input=True),
    Flag("remove_background", "none", "Remove the background."),
    Flag("improve_similarity", "unit", "Strength of the similarity pass (0-1)."),
    Flag("fix_bindi", "none", "Remove a bindi the model added (not on backend 1 yet).",
         backend=-1),
    Flag("faceid_portrait", "none", "FaceID portrait mode (not on backend 1 yet).", backend=-1),
    Flag("control_guidance_end", "unit", "When controlnet guidance stops (0-1)."),
    Flag("controlnets", "names", "ControlNets to apply, by name.", choices=CONTROLNET_NAMES),
    Flag("controlnet_weights", "numbers", "A weight per --controlnets name."),
    Flag("background_color", "color", "Background colour #RRGGBB.", ignored_by=("flux",)),
    Flag("video", "none", "Make a video (legacy).", legacy=True),
    Flag("video_model", "name", "Video model (legacy).", legacy=True),
    Flag("video_prompt", "quoted", "Video motion text (legacy).", legacy=True),
    Flag("duration", "int", "Video length in seconds (legacy).", legacy=True),
)

FLAGS: Mapping[str, Flag] = {f.name: f for f in _TABLE}


def flags_table() -> Mapping[str, Flag]:
    """Every known flag by name (without the leading `--`)."""
    return FLAGS


# -- scanning -----------------------------------------------------------------------------

_FLAG = re.compile(r"(?<!\S)--([A-Za-z][A-Za-z0-9_]*)")
_TOKEN = re.compile(r"<(lora|faceid):")
# Written so that a failing match backtracks in linear time (no `\d+\.?\d*`).
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)")
_INT = re.compile(r"[-+]?\d+")
_DILATE = re.compile(r"-?\d+%?")
_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")
_SPLIT = re.compile(r"[\s,]+")


@record
class Problem:
    """A finding inside one text: `start` is the offset of its `--` or `<`; `part` is the
    bad part as written (looked up in the source to place the finding)."""

    code: Code
    message: str
    start: int
    part: str


@record
class FlagUse:
    name: str
    start: int
    known: bool


@record
class Scan:
    flags: tuple[FlagUse, ...] = ()
    loras: tuple[int, ...] = ()
    """Offsets of the well-formed `<lora:...>` tokens."""
    problems: tuple[Problem, ...] = field(default=())


_NOTHING = Scan()
"""The scan of a text without flags or tokens (immutable: one is shared)."""


@lru_cache(maxsize=1024)
def _did_you_mean(name: str) -> str:
    return did_you_mean(name, list(FLAGS), "--")


def _value_problem(flag: Flag, value: str) -> str | None:
    """What is wrong with a flag's value (already known to be present), or None."""
    kind = flag.value
    if kind in ("number", "unit"):
        if not _NUMBER.fullmatch(value):
            return f"--{flag.name} takes {flag.value_text()}, got {value!r}"
        if kind == "unit" and not 0 <= float(value) <= 1:
            return f"--{flag.name} {value} is out of range 0-1"
    elif kind == "int" and not _INT.fullmatch(value):
        return f"--{flag.name} takes an integer, got {value!r}"
    elif kind == "dilate" and not _DILATE.fullmatch(value):
        return f"--{flag.name} takes an integer or integer%, got {value!r}"
    elif kind == "choice" and value not in flag.choices:
        return f"--{flag.name} {value!r} is not one of: {', '.join(flag.choices)}"
    elif kind == "color" and not _COLOR.fullmatch(value):
        return f"--{flag.name} takes a colour #RRGGBB, got {value!r}"
    elif kind == "names":
        for name in _SPLIT.split(value.strip()):
            if name and name not in flag.choices:
                return (f"--{flag.name}: {name!r} is not a controlnet (one of: "
                        f"{', '.join(flag.choices)})")
    elif kind == "numbers":
        for n in _SPLIT.split(value.strip()):
            if n and not _NUMBER.fullmatch(n):
                return f"--{flag.name} takes numbers, got {n!r}"
    return None


_SINGLE = frozenset({"number", "unit", "int", "dilate", "choice", "color", "name"})


@lru_cache(maxsize=8192)
def scan(text: str) -> Scan:
    """Every flag and token of one (rendered) text, and what is wrong with each."""
    if "--" not in text and "<" not in text:
        return _NOTHING
    problems: list[Problem] = []
    uses: list[FlagUse] = []
    matches = list(_FLAG.finditer(text)) if "--" in text else []
    counts: dict[str, tuple[int, int]] = {}  # controlnets / weights: (count, start)
    for i, m in enumerate(matches):
        name = m.group(1)
        start = m.start()
        flag = FLAGS.get(name)
        uses.append(FlagUse(name, start, flag is not None))
        if flag is None:
            problems.append(Problem(Code.UNKNOWN_FLAG,
                                    f"unknown flag '--{name}' (the API ignores it "
                                    f"silently){_did_you_mean(name)}", start, m.group(0)))
            continue
        if flag.value == "none":
            continue
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        region = text[m.end():end]
        value = region.strip()
        if flag.value in _SINGLE:
            value = value.split(None, 1)[0] if value else ""
        elif flag.value == "quoted" and value.startswith('"'):
            close = value.find('"', 1)
            value = value[: close + 1] if close > 0 else value
        if not value or (flag.value == "quoted" and value == '""'):
            problems.append(Problem(Code.INVALID_FLAG_VALUE,
                                    f"--{name} needs a value ({flag.value_text()})",
                                    start, m.group(0)))
            continue
        bad = _value_problem(flag, value)
        if bad is not None:
            problems.append(Problem(Code.INVALID_FLAG_VALUE, bad, start, value))
        if flag.value in ("names", "numbers"):
            counts[name] = (len([v for v in _SPLIT.split(value) if v]), start)
    if "controlnet_weights" in counts and "controlnets" in counts:
        n_weights, at = counts["controlnet_weights"]
        n_names = counts["controlnets"][0]
        if n_weights != n_names:
            problems.append(Problem(
                Code.INVALID_FLAG_VALUE, f"--controlnet_weights has {n_weights} weight"
                         f"{'' if n_weights == 1 else 's'} for {n_names} --controlnets "
                         f"name{'' if n_names == 1 else 's'}", at, "--controlnet_weights"))
    loras = _tokens(text, problems) if "<" in text else []
    return Scan(tuple(uses), tuple(loras), tuple(problems))


def _tokens(text: str, problems: list[Problem]) -> list[int]:
    loras: list[int] = []
    for m in _TOKEN.finditer(text):
        kind, start = m.group(1), m.start()
        nxt = text.find("<", m.end())
        close = text.find(">", m.end(), nxt if nxt >= 0 else len(text))
        if close < 0:
            stop = nxt if nxt >= 0 else len(text)
            problems.append(Problem(Code.INVALID_TOKEN,
                                    f"<{kind}:...> token is not closed with '>'",
                                    start, text[start:stop].rstrip()))
            continue
        token = text[start: close + 1]
        parts = text[m.end(): close].split(":")
        bad = _token_problem(kind, parts)
        if bad is not None:
            problems.append(Problem(Code.INVALID_TOKEN,
                                    f"malformed token {token!r}: {bad}", start, token))
            continue
        if kind == "lora":
            loras.append(start)
            continue
        rest = close + 1
        while rest < len(text) and text[rest].isspace():
            rest += 1
        if rest >= len(text) or not text[rest].isalpha():
            problems.append(Problem(Code.FACEID_WITHOUT_CLASS,
                                    f"{token} is not followed by a class word (like "
                                    f"'{token} woman'); the face has no subject",
                                    start, token))
    return loras


def _token_problem(kind: str, parts: list[str]) -> str | None:
    what = "NAME_OR_ID" if kind == "lora" else "ID"
    if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
        return f"expected <{kind}:{what}:WEIGHT>"
    ident, weight = parts[0].strip(), parts[1].strip()
    if kind == "faceid" and not ident.isdigit():
        return f"the faceid ID {ident!r} is not digits"
    if not _NUMBER.fullmatch(weight):
        return f"the weight {weight!r} is not a number"
    return None
