"""The one declarative table of the Create-a-prompt API's parameters.

Type, bounds, choices, multiples and cross-field requirements of every parameter live
here and nowhere else: the rules, `promptspec rules`, the JSON Schema, value coercion
in expansion and the emulator's validation all read this table.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "PARAMS",
    "REQUIREMENTS",
    "STRIPPED_FIELDS",
    "TEMPLATE_FIELDS",
    "TUNE",
    "Param",
    "Requirement",
    "check_request",
    "check_value",
    "coerce",
    "did_you_mean",
    "type_name",
]

Kind = Literal["str", "int", "float", "bool", "url", "file", "enum"]

TUNE = "tune"
"""The spec key (not an API parameter) that sets a request's `tune_id`."""


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    kind: Kind
    doc: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] | None = None
    multiple_of: int | None = None
    template: bool = False
    allowed: bool = True
    """False for parameters the endpoint refuses (lora_scale: PS205)."""

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "float")

    def range_text(self) -> str:
        return f"{_num(self.minimum)}-{_num(self.maximum)}"


def _num(x: float | None) -> str:
    if x is None:
        return "?"
    return str(int(x)) if float(x).is_integer() else str(x)


_ASPECT = ("1:1", "16:9", "9:16", "21:9", "9:21", "3:2", "2:3", "5:4", "4:5", "4:3", "3:4")
_SCHEDULERS = (
    "euler", "euler_a", "dpm++2m_karras", "dpm++sde_karras", "dpm++2m", "dpm++sde", "lcm", "tcd",
)
_STYLES = (
    "Cinematic", "Animated", "Digital Art", "Photographic", "Fantasy art", "Neonpunk",
    "Enhance", "Comic book", "Lowpoly", "Line art",
)
_GRADING = ("Film Velvia", "Film Portra", "Ektar")
_CONTROLNETS = (
    "composition", "reference", "segroom", "ipadapter", "lineart", "canny", "depth", "mlsd",
    "hed", "pose", "tile", "qr",
)

_TABLE: tuple[Param, ...] = (
    Param("text", "str", "Description of the image.", template=True),
    Param("negative_prompt", "str", "Comma separated words that should not appear.", template=True),
    Param("callback", "url", "A URL POSTed the prompt object when it is done.", template=True),
    Param("num_images", "int", "Number of images to generate.", minimum=1, maximum=8),
    Param("seed", "int", "Random number for consistent results.", minimum=0, maximum=2**32),
    Param("super_resolution", "bool", "X4 super-resolution."),
    Param("inpaint_faces", "bool", "Inpaints faces; requires super_resolution."),
    Param("hires_fix", "bool", "Super resolution details; requires super_resolution."),
    Param("face_correct", "bool", "Runs another model to correct the face."),
    Param("face_swap", "bool", "Uses training images to swap face."),
    Param("cfg_scale", "float", "How strictly diffusion follows the text.", minimum=0, maximum=15),
    Param("steps", "int", "Number of diffusion steps.", minimum=0, maximum=50),
    Param("use_lpw", "bool", "Use weighted prompts."),
    Param("aspect_ratio", "enum", "Aspect ratio of the image.", choices=_ASPECT),
    Param("w", "int", "Width, in multiples of 8.", minimum=8, multiple_of=8),
    Param("h", "int", "Height, in multiples of 8.", minimum=8, multiple_of=8),
    Param("scheduler", "enum", "Diffusion scheduler.", choices=_SCHEDULERS),
    Param("backend_version", "enum", "Backend version (null, 0 or 1).", choices=(0, 1)),
    Param("style", "enum", "A named style.", choices=_STYLES),
    Param("color_grading", "enum", "Colour grading.", choices=_GRADING),
    Param("film_grain", "bool", "Adds noise for realism."),
    Param("controlnet", "enum", "ControlNet model; requires an input image.", choices=_CONTROLNETS),
    Param("denoising_strength", "float", "Img2img strength.", minimum=0, maximum=1),
    Param(
        "controlnet_conditioning_scale", "float", "Strength of controlnet conditioning.",
        minimum=0, maximum=1,
    ),
    Param("controlnet_txt2img", "bool", "Text-to-image controlnet."),
    Param("input_image", "file", "An image uploaded as a multipart file."),
    Param("input_image_url", "url", "URL of an input image."),
    Param("mask_image", "file", "A one-channel mask image uploaded as a multipart file."),
    Param("mask_image_url", "url", "URL of a one-channel mask image."),
    Param(
        "lora_scale", "float", "Only accepted in a tune's prompts_attributes, not here.",
        allowed=False,
    ),
)

PARAMS: Mapping[str, Param] = {p.name: p for p in _TABLE}
TEMPLATE_FIELDS: tuple[str, ...] = tuple(p.name for p in _TABLE if p.template)
STRIPPED_FIELDS = frozenset({"text", "negative_prompt"})
"""Templates whose rendered value loses leading and trailing white space (section 4)."""


@dataclass(frozen=True, slots=True)
class Requirement:
    """A cross-field rule as data: when `field` is active, `needs` must hold.

    `when_true`: the field is active only when it is true (booleans); otherwise when set.
    `needs_true`: each of `needs` must be true; otherwise one of `needs` must be set.
    `conflicts`: the fields must not be set together. `warn_without` marks the PS207-208
    family (the parameter is pointless, not refused).
    """

    code: str
    field: str
    needs: tuple[str, ...]
    when_true: bool = False
    needs_true: bool = False
    conflicts: bool = False
    message: str = ""


REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement("PS201", "inpaint_faces", ("super_resolution",), when_true=True, needs_true=True,
                message="inpaint_faces requires super_resolution to be true"),
    Requirement("PS202", "hires_fix", ("super_resolution",), when_true=True, needs_true=True,
                message="hires_fix requires super_resolution to be true"),
    Requirement("PS203", "controlnet", ("input_image", "input_image_url"),
                message="controlnet requires input_image or input_image_url"),
    Requirement("PS204", "mask_image", ("input_image",),
                message="mask_image requires input_image"),
    Requirement("PS204", "mask_image_url", ("input_image_url",),
                message="mask_image_url requires input_image_url"),
    Requirement("PS206", "input_image", ("input_image_url",), conflicts=True,
                message="input_image and input_image_url are both set; give one"),
    Requirement("PS206", "mask_image", ("mask_image_url",), conflicts=True,
                message="mask_image and mask_image_url are both set; give one"),
    Requirement("PS207", "denoising_strength", ("input_image", "input_image_url"),
                message="denoising_strength has no effect without input_image or input_image_url"),
    Requirement("PS208", "controlnet_conditioning_scale", ("controlnet",),
                message="controlnet_conditioning_scale has no effect without controlnet"),
    Requirement("PS208", "controlnet_txt2img", ("controlnet",),
                message="controlnet_txt2img has no effect without controlnet"),
    Requirement("PS209", "aspect_ratio", ("w", "h"), conflicts=True,
                message="aspect_ratio is set together with w/h; the API uses one of them"),
)


def type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


_KIND_NAMES = {
    "str": "a string", "int": "an integer", "float": "a number", "bool": "a boolean (true/false)",
    "url": "an http(s) URL string", "file": "file(...)", "enum": "one of the listed choices",
}


def is_file(value: object) -> bool:
    return isinstance(value, dict) and "file_sha256" in value


def check_value(p: Param, value: object) -> tuple[str, str] | None:
    """Judge one concrete value of parameter `p`: None if fine, else (code, message).

    Null is always fine (it means unset). URL checks (PS107) apply to rendered values.
    """
    if value is None:
        return None
    kind = p.kind
    if not p.allowed:
        return ("PS205", f"{p.name} is only accepted in a tune's prompts_attributes, "
                         "not when creating a prompt")
    if kind == "bool":
        if not isinstance(value, bool):
            return ("PS102", f"{p.name} must be a boolean (true/false), got {type_name(value)} "
                             f"{value!r}")
        return None
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return ("PS102", f"{p.name} must be an integer, got {type_name(value)} {value!r}")
    elif kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return ("PS102", f"{p.name} must be a number, got {type_name(value)} {value!r}")
    elif kind in ("str", "url"):
        if not isinstance(value, str):
            return ("PS102", f"{p.name} must be a string, got {type_name(value)} {value!r}")
        if kind == "url" and not value.startswith(("http://", "https://")):
            return ("PS107", f"{p.name} must be an http(s) URL, got {value!r}")
        if kind == "url" and len(value.split("://", 1)[1]) == 0:
            return ("PS107", f"{p.name} must be an http(s) URL, got {value!r}")
        return None
    elif kind == "file":
        if not is_file(value):
            return ("PS102", f"{p.name} must be a file(...) reference, got {type_name(value)} "
                             f"{value!r}")
        return None
    elif kind == "enum":
        assert p.choices is not None
        if value in p.choices and type(value) in {type(c) for c in p.choices}:
            return None
        if isinstance(value, str):
            for c in p.choices:
                if isinstance(c, str) and c.lower() == value.lower():
                    return ("PS104", f"{p.name} {value!r} is not a valid choice; did you mean "
                                     f"{c!r}? (case matters)")
        choices = ", ".join(["null", *map(str, p.choices)] if p.name in ("backend_version", "style")
                            else map(str, p.choices))
        hint = did_you_mean(str(value), [str(c) for c in p.choices])
        return ("PS104", f"{p.name} {value!r} is not one of: {choices}{hint}")
    # numeric bounds; a positive width that is not a multiple of 8 is PS105 (fixable), not PS103
    assert isinstance(value, int | float)
    if isinstance(value, float) and not math.isfinite(value):
        return non_finite(p.name, value)
    if p.multiple_of and isinstance(value, int) and value > 0 and value % p.multiple_of:
        near = nearest_multiple(value, p.multiple_of)
        return ("PS105", f"{p.name} {value} is not a multiple of {p.multiple_of} "
                         f"(nearest: {near})")
    below = p.minimum is not None and value < p.minimum
    if below or (p.maximum is not None and value > p.maximum):
        if p.maximum is None:
            return ("PS103", f"{p.name} {_num(float(value))} is out of range "
                             f"(at least {_num(p.minimum)})")
        return ("PS103", f"{p.name} {_num(float(value))} is out of range {p.range_text()}")
    return None


def non_finite(name: str, value: float) -> tuple[str, str]:
    """NaN is PS102 (not a number), an infinity PS103 (out of every range)."""
    if value != value:
        return ("PS102", f"{name} is NaN, which is not a number")
    return ("PS103", f"{name} {value} is out of range (not a finite number)")


def nearest_multiple(value: int, of: int) -> int:
    """The nearest multiple of `of` (ties go up), never below `of`: PS105's fix."""
    return max(of, (value + of // 2) // of * of)


def coerce(p: Param, value: Any) -> Any:
    """The parameter's documented type for an already-valid value (`7` -> `7.0`)."""
    if p.kind == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _set(params: Mapping[str, Any], name: str) -> bool:
    return params.get(name) is not None


def requirement_fails(req: Requirement, params: Mapping[str, Any]) -> bool:
    """Whether one concrete request breaks `req`."""
    v = params.get(req.field)
    if v is None or (req.when_true and v is not True):
        return False
    if req.conflicts:
        return any(_set(params, n) for n in req.needs)
    if req.needs_true:
        return not all(params.get(n) is True for n in req.needs)
    return not any(_set(params, n) for n in req.needs)


def check_request(params: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """Judge one concrete request's params: a list of (code, field, message).

    The emulator's validation; the linter judges sets of values with the same table.
    """
    out: list[tuple[str, str, str]] = []
    text = params.get("text")
    if text is None:
        out.append(("PS106", "text", "text is required"))
    elif isinstance(text, str) and not text.strip():
        out.append(("PS306", "text", "text is empty"))
    for name, value in params.items():
        p = PARAMS.get(name)
        if p is None:
            out.append(("PS101", name, f"unknown parameter {name!r}"
                                       f"{did_you_mean(name, list(PARAMS))}"))
            continue
        bad = check_value(p, value)
        if bad:
            out.append((bad[0], name, bad[1]))
    for req in REQUIREMENTS:
        if req.code in ("PS207", "PS208", "PS209"):
            continue  # warnings: the API accepts these
        if requirement_fails(req, params):
            out.append((req.code, req.field, req.message))
    return out


def did_you_mean(word: str, candidates: list[str]) -> str:
    """`"; did you mean 'x'?"` for the closest candidate, or empty."""
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    if not close:
        low = {c.lower(): c for c in candidates}
        if word.lower() in low:
            close = [low[word.lower()]]
    return f"; did you mean {close[0]!r}?" if close else ""


def kind_text(p: Param) -> str:
    return _KIND_NAMES[p.kind]
