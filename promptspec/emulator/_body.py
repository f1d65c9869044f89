"""Reading a create's body: multipart or urlencoded `prompt[...]` fields, or JSON
`{"prompt": {...}}`, into raw params, uploads and conversion errors."""

from __future__ import annotations

import hashlib
from typing import Any

from aiohttp import web

from promptspec.emulator._multipart import MultipartError, boundary_of, parse_multipart
from promptspec.emulator.state import Upload
from promptspec.emulator.validate import Errors, convert_form_value
from promptspec.params import PARAMS

__all__ = ["media_type", "read_form", "read_json"]


def _form_field(
    key: str,
    value: str | bytes,
    filename: str | None,
    params: dict[str, Any],
    uploads: dict[str, Upload],
    errors: Errors,
) -> None:
    name, array = (key[:-2], True) if key.endswith("[]") else (key, False)
    if array:
        if name not in PARAMS or not PARAMS[name].array:
            errors.setdefault(name, []).append(f"{name} takes one value, not a list")
            return
        items = params.setdefault(name, [])
        if filename is not None:
            data = value.encode() if isinstance(value, str) else value
            digest = hashlib.sha256(data).hexdigest()
            uploads[f"{name}[{len(items)}]"] = Upload(filename, digest, data)
            items.append({"file_sha256": digest})
        else:
            items.append(value if isinstance(value, str) else value.decode("utf-8", "replace"))
        return
    if filename is not None:
        data = value.encode() if isinstance(value, str) else value
        if name in PARAMS and PARAMS[name].kind == "file":
            digest = hashlib.sha256(data).hexdigest()
            uploads[name] = Upload(filename, digest, data)
            params[name] = {"file_sha256": digest}
        elif name in PARAMS:
            errors.setdefault(name, []).append(f"{name} must be a value, not a file upload")
        else:
            params[name] = filename  # unknown: check_request names it
        return
    text = value if isinstance(value, str) else value.decode("utf-8", "replace")
    converted, problem = convert_form_value(name, text)
    if problem:
        errors.setdefault(name, []).append(problem)
    else:
        params[name] = converted


def media_type(request: web.Request) -> str:
    # request.content_type runs the email package's header parser: costly per create
    return request.headers.get("Content-Type", "").partition(";")[0].strip().lower()


def _prompt_name(key: str) -> str | None:
    """`text` for `prompt[text]`, `image_reference_urls[]` for an array's
    `prompt[image_reference_urls][]`; None for fields outside `prompt[...]`, which the API
    ignores."""
    if key.startswith("prompt[") and key.endswith("][]"):
        return key[len("prompt[") : -3] + "[]"
    if key.startswith("prompt[") and key.endswith("]"):
        return key[len("prompt[") : -1]
    return None


async def read_form(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload], Errors]:
    params: dict[str, Any] = {}
    uploads: dict[str, Upload] = {}
    errors: Errors = {}
    if media_type(request) == "multipart/form-data":
        boundary = boundary_of(request.headers.get("Content-Type", ""))
        if not boundary:
            raise web.HTTPBadRequest(reason="multipart/form-data without a boundary")
        try:
            parts = parse_multipart(await request.read(), boundary)
        except MultipartError as exc:
            raise web.HTTPBadRequest(reason=f"malformed multipart body: {exc}") from None
        for part in parts:
            name = _prompt_name(part.name)
            if name is not None:
                value = part.data if part.filename is not None else part.text()
                _form_field(name, value, part.filename, params, uploads, errors)
        return params, uploads, errors
    form = await request.post()  # application/x-www-form-urlencoded
    for key, raw in form.items():
        name = _prompt_name(key)
        if name is None:
            continue
        if isinstance(raw, web.FileField):
            _form_field(name, raw.file.read(), raw.filename, params, uploads, errors)
        else:
            _form_field(name, raw if isinstance(raw, str) else bytes(raw), None, params, uploads,
                        errors)
    return params, uploads, errors


async def read_json(request: web.Request) -> tuple[dict[str, Any], Errors]:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError) as exc:  # also ints past Python's digit limit
        raise web.HTTPBadRequest(reason=f"invalid JSON body: {str(exc)[:200]}") from None
    except RecursionError:
        raise web.HTTPBadRequest(reason="invalid JSON body: nested too deeply") from None
    prompt = body.get("prompt") if isinstance(body, dict) else None
    if not isinstance(prompt, dict):
        return {}, {"prompt": ['a JSON object {"prompt": {...}} is required']}
    errors: Errors = {}
    params: dict[str, Any] = {}
    for name, value in prompt.items():
        if name in PARAMS and PARAMS[name].kind == "file" and value is not None:
            errors.setdefault(name, []).append(
                f"{name} must be uploaded as a multipart file part"
            )
        else:
            params[str(name)] = value
    return params, errors
