"""The declarative tables of the Create-a-prompt API's parameters, one per API profile.

Type, bounds, choices, array-ness, nullability, multiples, description, the source of each
fact, what each requires and the cross-field requirements: `reference` is exactly
`astria-create-prompt.txt`; `current` (the default) adds the parameters of Astria's current
Create-a-prompt documentation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Literal

from promptspec.model import record

__all__ = [
    "CURRENT_SOURCE",
    "DEFAULT_PROFILE",
    "FAMILY",
    "FIRST_FRAMES",
    "PARAMS",
    "PROFILES",
    "REFERENCE_SOURCE",
    "REQUIREMENTS",
    "STRIPPED_FIELDS",
    "TEMPLATE_FIELDS",
    "TUNE",
    "Kind",
    "Param",
    "Profile",
    "Requirement",
    "requirements_for",
    "table_for",
]

Kind = Literal["str", "int", "float", "bool", "url", "file", "enum", "data_url"]
Profile = Literal["reference", "current"]
PROFILES: tuple[Profile, ...] = ("current", "reference")
DEFAULT_PROFILE: Profile = "current"

TUNE = "tune"
"""The spec key (not an API parameter) that sets a request's `tune_id`."""
FAMILY = "family"
"""The spec key (not an API parameter, never sent) naming the model family."""

REFERENCE_SOURCE = "astria-create-prompt.txt (the 2023 Create-a-prompt reference)"
CURRENT_SOURCE = "Astria's current Create-a-prompt documentation"


@record
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
    array: bool = False
    """A list of `kind` items; on the wire one `prompt[<name>][]` part per item, in order."""
    nullable: bool = False
    """`null` is one of the documented choices (it always means unset)."""
    nonempty: bool = False
    """An empty string is PS102."""
    source: str = REFERENCE_SOURCE
    """Where the facts about this parameter come from."""
    requires: tuple[str, ...] = ()
    """What must also be set (each entry one field, or alternatives joined by " or "),
    filled from the profile's requirements (PS201-PS204)."""

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

_REFERENCE: tuple[Param, ...] = (
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
    Param("backend_version", "enum", "Backend version (null, 0 or 1).", choices=(0, 1),
          nullable=True),
    Param("style", "enum", "A named style.", choices=_STYLES, nullable=True),
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



def _cur(name: str, kind: Kind, doc: str, **kw: Any) -> Param:
    return Param(name, kind, doc, source=CURRENT_SOURCE, **kw)


_AR = ("1:1", "portrait", "16:9", "landscape", "anamorphic")
_CURRENT_ADDED: tuple[Param, ...] = (
    _cur("resolution", "enum", "Output resolution (Gemini and other current models).",
         choices=("1K", "2K", "4K")),
    _cur("input_image_base64", "data_url",
         "An input image as a data:image/...;base64, URL; counts as input_image."),
    _cur("workspace_id", "int", "The workspace the prompt belongs to.", minimum=1),
    _cur("community", "bool", "Share the prompt with the community gallery."),
    _cur("prompt_expansion", "bool", "Let the API expand the text before generating."),
    _cur("theme", "str", "A theme that the API expands into the prompt."),
    _cur("pack_id", "int", "Author the prompt as a pack template prompt.", minimum=1),
    _cur("base_pack_id", "int", "Bind the prompt to a pack as a one-off.", minimum=1),
    _cur("ar", "enum", "Legacy aspect ratio.", choices=_AR),
    _cur("video_model", "str", "The video model; makes the prompt a video prompt.",
         nonempty=True),
    _cur("video_prompt", "str", "Description of the video's motion.", template=True),
    _cur("video_duration", "int", "Video length in seconds.", minimum=1),
    _cur("video_first_frame", "file", "The video's first frame, uploaded."),
    _cur("video_first_frame_url", "url", "URL of the video's first frame."),
    _cur("video_last_frame", "file", "The video's last frame, uploaded."),
    _cur("video_last_frame_url", "url", "URL of the video's last frame."),
    _cur("input_video", "file", "An input video, uploaded."),
    _cur("input_video_url", "url", "URL of an input video."),
    _cur("audio_reference", "file", "An audio reference, uploaded."),
    _cur("audio_reference_url", "url", "URL of an audio reference."),
    _cur("source_image_url", "url", "URL of a source image."),
    _cur("video_audio", "bool", "Generate the video with audio."),
    _cur("generate_audio", "bool", "Generate audio for the video."),
    _cur("video_upscale_model", "enum", "Video upscaler.", choices=("seedvr2",)),
    _cur("video_upscale_target_resolution", "enum", "Target resolution of the video upscale.",
         choices=("720p", "1080p", "2k", "4k")),
    _cur("video_fps_model", "enum", "Frame-rate increaser.", choices=("video_fps_increaser",)),
    _cur("image_references", "file", "Reference images, uploaded (a list).", array=True),
    _cur("image_reference_urls", "url", "URLs of reference images (a list).", array=True),
)

@record
class Requirement:
    """A cross-field rule as data: when `field` is active, `needs` must hold.

    `when_true`: the field is active only when it is true (booleans); otherwise when set.
    `needs_true`: each of `needs` must be true; otherwise one of `needs` must be set.
    `conflicts`: the fields must not be set together. `warning`: the parameter is
    pointless, not refused (PS207-PS209): the API accepts the request.
    """

    code: str
    field: str
    needs: tuple[str, ...]
    when_true: bool = False
    needs_true: bool = False
    conflicts: bool = False
    message: str = ""
    warning: bool = False


def _requirements(current: bool) -> tuple[Requirement, ...]:
    b64 = ("input_image_base64",) if current else ()
    inputs = ("input_image", "input_image_url", *b64)
    either = " or ".join(inputs)
    out = [
        Requirement("PS201", "inpaint_faces", ("super_resolution",), when_true=True,
                    needs_true=True, message="inpaint_faces requires super_resolution to be true"),
        Requirement("PS202", "hires_fix", ("super_resolution",), when_true=True, needs_true=True,
                    message="hires_fix requires super_resolution to be true"),
        Requirement("PS203", "controlnet", inputs, message=f"controlnet requires {either}"),
        Requirement("PS204", "mask_image", ("input_image", *b64),
                    message="mask_image requires input_image"),
        Requirement("PS204", "mask_image_url", ("input_image_url",),
                    message="mask_image_url requires input_image_url"),
        Requirement("PS206", "input_image", ("input_image_url",), conflicts=True,
                    message="input_image and input_image_url are both set; give one"),
        Requirement("PS206", "mask_image", ("mask_image_url",), conflicts=True,
                    message="mask_image and mask_image_url are both set; give one"),
        Requirement("PS207", "denoising_strength", inputs, warning=True,
                    message=f"denoising_strength has no effect without {either}"),
        Requirement("PS208", "controlnet_conditioning_scale", ("controlnet",), warning=True,
                    message="controlnet_conditioning_scale has no effect without controlnet"),
        Requirement("PS208", "controlnet_txt2img", ("controlnet",), warning=True,
                    message="controlnet_txt2img has no effect without controlnet"),
        Requirement("PS209", "aspect_ratio", ("w", "h"), conflicts=True, warning=True,
                    message="aspect_ratio is set together with w/h; the API uses one of them"),
    ]
    if current:
        out += [
            Requirement("PS206", "input_image_base64", ("input_image", "input_image_url"),
                        conflicts=True, message="input_image_base64 is set together with "
                                                "input_image or input_image_url; give one"),
            Requirement("PS209", "ar", ("aspect_ratio", "w", "h"), conflicts=True, warning=True,
                        message="ar is set together with aspect_ratio or w/h; the API uses "
                                "one of them"),
        ]
    return tuple(out)


_REQUIREMENTS: dict[Profile, tuple[Requirement, ...]] = {
    "reference": _requirements(False), "current": _requirements(True),
}
REQUIREMENTS: tuple[Requirement, ...] = _REQUIREMENTS["current"]


def requirements_for(profile: str = DEFAULT_PROFILE) -> tuple[Requirement, ...]:
    """The cross-field requirements of an API profile."""
    return _REQUIREMENTS["reference" if profile == "reference" else "current"]


FIRST_FRAMES = ("video_first_frame", "video_first_frame_url", "input_image", "input_image_url")
"""What gives a video prompt (one with `video_model`) its first frame: then no text needed."""


def _with_requires(params: tuple[Param, ...], reqs: tuple[Requirement, ...]
                   ) -> dict[str, Param]:
    """The table, each parameter's `requires` filled from the profile's requirements."""
    needs: dict[str, list[str]] = {}
    for r in reqs:
        if not r.conflicts and not r.warning:
            needs.setdefault(r.field, []).append(" or ".join(r.needs))
    return {p.name: replace(p, requires=tuple(needs.get(p.name, ()))) for p in params}


_TABLES: dict[Profile, Mapping[str, Param]] = {
    "reference": _with_requires(_REFERENCE, _REQUIREMENTS["reference"]),
    "current": _with_requires((*_REFERENCE, *_CURRENT_ADDED), _REQUIREMENTS["current"]),
}

PARAMS: Mapping[str, Param] = _TABLES["current"]
"""Every parameter any profile knows (the `current` table, a superset of `reference`):
for typing values. What a profile accepts is `table_for(profile)`."""
TEMPLATE_FIELDS: tuple[str, ...] = tuple(p.name for p in PARAMS.values() if p.template)


def table_for(profile: str = DEFAULT_PROFILE) -> Mapping[str, Param]:
    """The parameter table of an API profile (`current` or `reference`)."""
    return _TABLES["reference" if profile == "reference" else "current"]
STRIPPED_FIELDS = frozenset({"text", "negative_prompt"})
"""Templates whose rendered value loses leading and trailing white space (section 4)."""
