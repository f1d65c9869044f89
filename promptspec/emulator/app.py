"""The emulator's HTTP application (aiohttp): the documented prompt endpoints (and those
Astria's own client uses: `GET /prompts`, `GET/DELETE /prompts/:id`), images, callbacks
and injected faults.

Faults apply to creates only; reads, lists and deletes stay reliable so that a client can
reconcile what it sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import ClientSession, ClientTimeout, web

from promptspec.emulator._body import media_type, read_form, read_json
from promptspec.emulator._net import is_loopback_url
from promptspec.emulator._objects import prompt_object
from promptspec.emulator.faults import Faults
from promptspec.emulator.images import ImageCache, render_png
from promptspec.emulator.state import EmulatorState, PromptRecord, Upload, utcnow
from promptspec.emulator.validate import Errors, validate

__all__ = ["build_app"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
STATE: web.AppKey[EmulatorState] = web.AppKey("state", EmulatorState)
_MAX_BODY = 64 * 1024 * 1024
_MAX_LIMIT = 120
_DEFAULT_LIMIT = 20
_MAX_OFFSET = 10_000
USER_ERROR = "The prompt could not be processed (an injected user error)."


class _Settings:
    def __init__(self, latency: float, create_delay: float, faults: Faults,
                 api: str = "current") -> None:
        self.api = api
        self.latency = latency
        self.create_delay = create_delay
        self.faults = faults
        self.images = ImageCache()
        self.session: ClientSession | None = None
        self.tasks: set[asyncio.Task[None]] = set()


SETTINGS: web.AppKey[_Settings] = web.AppKey("settings", _Settings)


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)


@web.middleware
async def _middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    request.app[STATE].saw_request()
    if request.path.startswith(("/tunes/", "/prompts")):
        auth = request.headers.get("Authorization", "")
        scheme, _, key = auth.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            return _error(401, "Unauthorized: send Authorization: Bearer <key>")
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _error(exc.status, exc.reason)


def _base(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


_MAX_ID_DIGITS = 18
"""Ids are 64-bit: a longer one names nothing (and is never converted, however long)."""


def _int(request: web.Request, name: str) -> int:
    text = request.match_info[name]
    if len(text) > _MAX_ID_DIGITS:
        raise web.HTTPNotFound(reason="Not Found")
    return int(text)


async def create_prompt(request: web.Request) -> web.StreamResponse:
    settings = request.app[SETTINGS]
    state = request.app[STATE]
    tune_id = _int(request, "tune_id")
    uploads: dict[str, Upload] = {}
    if media_type(request) == "application/json":
        raw, conversion_errors = await read_json(request)
    else:
        raw, uploads, conversion_errors = await read_form(request)
    if settings.create_delay:
        await asyncio.sleep(settings.create_delay)
    decision = settings.faults.decide()
    if decision.status is not None:
        assert decision.kind is not None
        state.fault(decision.kind)
        headers = {"Retry-After": str(decision.retry_after)} if decision.retry_after else None
        message = {429: "Too Many Requests", 500: "Internal Server Error",
                   503: "Service Unavailable"}[decision.status]
        return _error(decision.status, message, headers)
    params, errors = validate(raw, conversion_errors, settings.api)
    if errors:
        return _unprocessable(errors)
    base = _base(request)
    user_error = USER_ERROR if settings.faults.user_error() else None
    record = state.create(tune_id, params, settings.latency, base, uploads, user_error)
    if isinstance(record.params.get("callback"), str):
        _schedule_callback(request.app, record)
    if decision.drop:
        state.fault("drop")
        if request.transport is not None:
            request.transport.close()
        # the connection is gone: nothing can be written; end the handler quietly
        raise asyncio.CancelledError
    return web.json_response(prompt_object(record, base, utcnow(), fresh=True), status=201)


def _unprocessable(errors: Errors) -> web.Response:
    """422 with `{"field": ["message"]}` and `"error"`: one line naming the first problem."""
    field, messages = next(iter(errors.items()))
    first = messages[0] if messages else "is invalid"
    line = first if first.startswith(field) else f"{field} {first}"
    return web.json_response({"error": line, **errors}, status=422)


def _tune(request: web.Request) -> int | None:
    return _int(request, "tune_id") if "tune_id" in request.match_info else None


async def get_prompt(request: web.Request) -> web.StreamResponse:
    record = request.app[STATE].get(_tune(request), _int(request, "prompt_id"))
    if record is None:
        raise web.HTTPNotFound(reason="Not Found")
    return web.json_response(prompt_object(record, _base(request), utcnow()))


def _query_int(request: web.Request, name: str, default: int) -> int:
    text = request.query.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text) if len(text) <= _MAX_ID_DIGITS else -1
    except ValueError:
        value = -1
    if value < 0:
        raise _Unprocessable({name: [f"{name} must be a non-negative integer, got {text!r}"]})
    return value


class _Unprocessable(Exception):
    def __init__(self, errors: Errors) -> None:
        super().__init__(errors)
        self.errors = errors


async def list_prompts(request: web.Request) -> web.StreamResponse:
    """A tune's prompts, or (`GET /prompts`) every tune's, newest first, filtered."""
    try:
        offset = _query_int(request, "offset", 0)
        limit = min(_query_int(request, "limit", _DEFAULT_LIMIT), _MAX_LIMIT)
        before = request.query.get("before_id")
        before_id = _query_int(request, "before_id", 0) if before else None
    except _Unprocessable as exc:
        return _unprocessable(exc.errors)
    if offset > _MAX_OFFSET:
        return _error(400, f"offset above {_MAX_OFFSET} is not supported; page with before_id "
                           "(the smallest id of the previous page) instead")
    text = request.query.get("text") or None
    records = request.app[STATE].page(_tune(request), offset, limit, before_id, text)
    now, base = utcnow(), _base(request)
    return web.json_response([prompt_object(r, base, now) for r in records])


async def delete_prompt(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    prompt_id = _int(request, "prompt_id")
    if state.get(_tune(request), prompt_id) is None or not state.delete(prompt_id):
        raise web.HTTPNotFound(reason="Not Found")
    return web.json_response({"message": "Prompt successfully deleted"})


async def get_image(request: web.Request) -> web.StreamResponse:
    settings = request.app[SETTINGS]
    record = request.app[STATE].get(None, _int(request, "prompt_id"))
    n = _int(request, "n")
    if record is None or not 1 <= n <= record.num_images:
        raise web.HTTPNotFound(reason="Not Found")
    key = (record.id, n)
    data = settings.images.get(key)
    if data is None:
        loop = asyncio.get_running_loop()
        data = await loop.run_in_executor(
            None, render_png, record.tune_id, record.params, n, record.num_images
        )
        settings.images.put(key, data)
    return web.Response(body=data, content_type="image/png")


async def get_upload(request: web.Request) -> web.StreamResponse:
    record = request.app[STATE].get(None, _int(request, "prompt_id"))
    upload = record.uploads.get(request.match_info["name"]) if record else None
    if upload is None:
        raise web.HTTPNotFound(reason="Not Found")
    return web.Response(body=upload.data, content_type="application/octet-stream")


def _schedule_callback(app: web.Application, record: PromptRecord) -> None:
    callback = record.params["callback"]
    if not is_loopback_url(callback):
        return  # never call out beyond this machine
    settings = app[SETTINGS]
    task = asyncio.get_running_loop().create_task(_send_callback(app, record, callback))
    settings.tasks.add(task)
    task.add_done_callback(settings.tasks.discard)


async def _send_callback(app: web.Application, record: PromptRecord, url: str) -> None:
    delay = (record.ready_at - utcnow()).total_seconds()
    if delay > 0:
        await asyncio.sleep(delay)
    state, settings = app[STATE], app[SETTINGS]
    current = state.get(None, record.id)
    if current is None or settings.session is None:
        return
    body = {"prompt": prompt_object(current, current.base_url, utcnow())}
    try:
        async with settings.session.post(url, json=body) as response:
            await response.read()
    except Exception:  # best effort: a callback receiver's trouble is not ours
        return
    state.sent_callback()


async def _on_startup(app: web.Application) -> None:
    app[SETTINGS].session = ClientSession(timeout=ClientTimeout(total=10))


async def _on_cleanup(app: web.Application) -> None:
    settings = app[SETTINGS]
    for task in list(settings.tasks):
        task.cancel()
    if settings.tasks:
        await asyncio.gather(*settings.tasks, return_exceptions=True)
    if settings.session is not None:
        await settings.session.close()


def build_app(
    state: EmulatorState, *, latency: float, create_delay: float, faults: Faults,
    api: str = "current",
) -> web.Application:
    app = web.Application(middlewares=[_middleware], client_max_size=_MAX_BODY)
    app[STATE] = state
    app[SETTINGS] = _Settings(latency, create_delay, faults, api)
    app.on_startup.append(_on_startup)
    app.on_cleanup.append(_on_cleanup)
    tune = r"/tunes/{tune_id:\d+}/prompts"
    app.router.add_post(tune, create_prompt)
    app.router.add_get(tune, list_prompts)
    app.router.add_get("/prompts", list_prompts)
    for one in (tune + r"/{prompt_id:\d+}", tune + r"/{prompt_id:\d+}.json",
                r"/prompts/{prompt_id:\d+}", r"/prompts/{prompt_id:\d+}.json"):
        app.router.add_get(one, get_prompt)
        app.router.add_delete(one, delete_prompt)
    app.router.add_get(r"/images/{prompt_id:\d+}/{n:\d+}.png", get_image)
    app.router.add_get(r"/uploads/{prompt_id:\d+}/{name}", get_upload)
    return app
