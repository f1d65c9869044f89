"""Requests as text: one JSON line (`expand --format jsonl`), or a runnable curl command."""

from __future__ import annotations

import json
import shlex
from typing import Any

from promptspec.request import Request, canonical_json

__all__ = ["curl_command", "jsonl_line"]

_dumps = json.JSONEncoder(ensure_ascii=False).encode


_NAMES: dict[str, str] = {}
"""Spec and prompt names as JSON strings: a sweep repeats them on every line."""


def _name(text: str) -> str:
    found = _NAMES.get(text)
    if found is None:
        if len(_NAMES) > 1024:
            _NAMES.clear()
        found = _NAMES[text] = _dumps(text)
    return found


def jsonl_line(r: Request) -> str:
    """One request as a JSON object on one line (params in canonical key order)."""
    params = r.params_json or canonical_json(r.params)
    coords = r.coords_json or _dumps(r.coords)
    return (
        f'{{"id": "{r.id}", "spec": {_name(r.spec)}, "prompt": {_name(r.prompt)}, '
        f'"index": {r.index}, "coords": {coords}, "tune_id": {r.tune_id}, '
        f'"params": {params}}}'
    )


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _needs_form_string(text: str) -> bool:
    # curl -F reads a file for a leading @ or <, unquotes a leading ", and parses ;type=...
    return text[:1] in ("@", "<", '"') or ";" in text


def curl_command(r: Request, base_url: str) -> str:
    """A runnable curl command like the API reference's example; the key stays in the shell.

    An array parameter is one `prompt[<name>][]` part per item, in order."""
    url = f"{base_url}/tunes/{r.tune_id}/prompts"
    parts = [f'curl -X POST -H "Authorization: Bearer $ASTRIA_API_KEY" {shlex.quote(url)}']
    for name, value in r.params.items():
        if isinstance(value, list):
            field = f"prompt[{name}][]"
            for i, item in enumerate(value):
                parts.append(_curl_part(field, item, r.files.get(f"{name}[{i}]")))
            continue
        parts.append(_curl_part(f"prompt[{name}]", value, r.files.get(name)))
    return " \\\n     ".join(parts)


def _curl_part(field: str, value: Any, upload: str | None) -> str:
    if upload is not None:
        return f"-F {shlex.quote(field + '=@' + upload)}"
    text = _form_value(value)
    flag = "--form-string" if _needs_form_string(text) else "-F"
    return f"{flag} {shlex.quote(field + '=' + text)}"
