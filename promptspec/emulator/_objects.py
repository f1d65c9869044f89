"""The prompt object the API documents, built from a stored record at a given moment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from promptspec.emulator.state import PromptRecord, iso
from promptspec.params import PARAMS

__all__ = ["COST_PER_IMAGE_MC", "image_url", "prompt_object", "prompt_url"]

COST_PER_IMAGE_MC = 10
_ALWAYS = ("callback", "text", "negative_prompt", "cfg_scale", "steps", "seed")


def prompt_url(base: str, record: PromptRecord) -> str:
    return f"{base}/tunes/{record.tune_id}/prompts/{record.id}.json"


def image_url(base: str, record: PromptRecord, n: int) -> str:
    return f"{base}/images/{record.id}/{n}.png"


def upload_url(base: str, record: PromptRecord, name: str) -> str:
    return f"{base}/uploads/{record.id}/{name}"


def prompt_object(
    record: PromptRecord, base: str, now: datetime, *, fresh: bool = False
) -> dict[str, Any]:
    """The documented prompt object. `fresh`: the answer to the create itself, which shows
    the prompt queued (no images yet) whatever the latency."""
    finished = not fresh and record.finished(now)
    obj: dict[str, Any] = {"id": record.id}
    for name in _ALWAYS:
        obj[name] = record.params.get(name)
    obj.update(
        {
            "trained_at": iso(record.ready_at) if finished else None,
            "started_training_at": None if fresh else iso(record.created_at),
            "created_at": iso(record.created_at),
            "updated_at": iso(record.ready_at if finished else record.created_at),
            "tune_id": record.tune_id,
            "url": prompt_url(base, record),
        }
    )
    for name, value in record.params.items():
        if name in obj:
            continue
        if name in PARAMS and PARAMS[name].kind == "file":
            if isinstance(value, list):
                obj[name] = [upload_url(base, record, f"{name}[{i}]") for i in range(len(value))]
            else:
                obj[name] = upload_url(base, record, name)
        else:
            obj[name] = value
    failed = finished and record.user_error is not None
    obj["images"] = (
        [image_url(base, record, n) for n in range(1, record.num_images + 1)]
        if finished and not failed else []
    )
    obj["user_error"] = record.user_error if failed else None
    obj["cost_mc"] = COST_PER_IMAGE_MC * record.num_images
    return obj
