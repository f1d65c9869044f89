"""A request: one point of a prompt's sweep, ready to send, and its content-addressed id."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from promptspec.model import record

__all__ = ["Request", "canonical_json", "request_id"]


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def request_id(tune_id: int, params: dict[str, Any]) -> str:
    """`ps_` + 16 hex digits of the SHA-256 of the canonical JSON of tune_id and params."""
    blob = canonical_json({"tune_id": tune_id, "params": params}).encode()
    return "ps_" + hashlib.sha256(blob).hexdigest()[:16]


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
