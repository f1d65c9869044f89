"""A request: one point of a prompt's sweep, ready to send, and its content-addressed id."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from promptspec.model import record

__all__ = ["Request", "canonical_json", "id_of", "image_count", "images_of", "request_id"]


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def image_count(num_images: Any) -> int:
    """The images a request with this `num_images` asks for: the int, 1 when unset."""
    return num_images if isinstance(num_images, int) and not isinstance(num_images, bool) else 1


def images_of(params: Mapping[str, Any]) -> int:
    """The images one request asks for."""
    return image_count(params.get("num_images"))


def id_of(canonical: str) -> str:
    """The request id of a request's canonical JSON: `ps_` + the first 16 hex digits of the
    SHA-256 of its UTF-8 bytes. The one definition; expansion builds the JSON faster itself."""
    return "ps_" + hashlib.sha256(canonical.encode()).hexdigest()[:16]


def request_id(tune_id: int, params: dict[str, Any]) -> str:
    """The id of the request `{"tune_id": ..., "params": ...}`."""
    return id_of(canonical_json({"tune_id": tune_id, "params": params}))


@record
class Request:
    """One request. `params` holds uploaded files as `{"file_sha256": hex}`; `files` maps
    those parameter names to the local path to upload."""

    id: str
    spec: str
    prompt: str
    index: int
    coords: dict[str, Any]
    tune_id: int
    params: dict[str, Any]
    files: dict[str, str]
    params_json: str = ""
    """The canonical JSON of `params`, when the producer already computed it."""
    coords_json: str = ""
    """`coords` as `json.dumps` writes it (default separators, axis order), when computed."""
