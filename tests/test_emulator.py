"""The emulator, driven over real loopback HTTP with httpx and the curl binary."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from conftest import invoke, one_line_error, tls
from PIL import Image

from promptspec.emulator import (
    EmulatorConfig,
    RunningEmulator,
    creates_by_fields,
    fields_key,
    start_emulator,
)
from promptspec.emulator._multipart import MultipartError, boundary_of, parse_multipart
from promptspec.emulator._net import is_loopback_host
from promptspec.errors import UsageError

KEY = {"Authorization": "Bearer test-key"}
REFERENCE = Path(__file__).resolve().parent / "data" / "astria-create-prompt.txt"
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
CURL = shutil.which("curl")


@pytest.fixture(scope="module")
def emu() -> Iterator[RunningEmulator]:
    with start_emulator() as running:
        yield running


def keyed(timeout: float = 5.0) -> httpx.Client:
    """A client with the key, on the process's one TLS context (conftest.tls)."""
    return httpx.Client(headers=KEY, timeout=timeout, verify=tls())


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with keyed(timeout=10) as c:
        yield c


@pytest.fixture(scope="module")
def bare() -> Iterator[httpx.Client]:
    """A client without the key (one connection pool, not one per call)."""
    with httpx.Client(timeout=10, verify=tls()) as c:
        yield c


def form(**fields: Any) -> dict[str, tuple[None, str]]:
    """Multipart fields as httpx sends them: prompt[name] -> string value."""
    return {f"prompt[{k}]": (None, str(v)) for k, v in fields.items()}


def create(c: httpx.Client, url: str, tune: int = 1, **fields: Any) -> httpx.Response:
    return c.post(f"{url}/tunes/{tune}/prompts", files=form(**fields))


def wait_finished(c: httpx.Client, obj: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while True:
        got: dict[str, Any] = c.get(obj["url"]).json()
        if got["images"] or time.monotonic() > deadline:
            return got
        time.sleep(0.02)


# -- create and read ---------------------------------------------------------------------------

def test_create_multipart_returns_the_documented_object(
    emu: RunningEmulator, client: httpx.Client
) -> None:
    r = create(client, emu.url, tune=5, text="a cat", seed="42", cfg_scale="7", steps="30",
               super_resolution="true", num_images="2")
    assert r.status_code == 201
    obj = r.json()
    assert isinstance(obj["id"], int)
    assert obj["text"] == "a cat" and obj["negative_prompt"] is None and obj["callback"] is None
    assert obj["seed"] == 42 and obj["steps"] == 30
    assert obj["cfg_scale"] == 7.0 and isinstance(obj["cfg_scale"], float)
    assert obj["super_resolution"] is True and obj["num_images"] == 2
    assert obj["tune_id"] == 5
    assert obj["url"] == f"{emu.url}/tunes/5/prompts/{obj['id']}.json"
    assert obj["images"] == [] and obj["trained_at"] is None
    assert "started_training_at" in obj
    assert obj["user_error"] is None and obj["cost_mc"] == 20
    assert ISO_MS.match(obj["created_at"]) and ISO_MS.match(obj["updated_at"])


def test_create_json_and_ids_increase(emu: RunningEmulator, client: httpx.Client) -> None:
    body = {"prompt": {"text": "a dog", "cfg_scale": 5, "face_correct": True, "style": None}}
    first = client.post(f"{emu.url}/tunes/5/prompts", json=body)
    second = client.post(f"{emu.url}/tunes/5/prompts", json=body)
    assert first.status_code == second.status_code == 201
    assert second.json()["id"] > first.json()["id"]
    assert first.json()["cfg_scale"] == 5.0 and first.json()["face_correct"] is True
    assert "style" not in first.json()


def test_get_with_and_without_json_suffix(emu: RunningEmulator, client: httpx.Client) -> None:
    obj = create(client, emu.url, tune=6, text="x").json()
    plain = client.get(f"{emu.url}/tunes/6/prompts/{obj['id']}")
    suffixed = client.get(obj["url"])
    assert plain.status_code == suffixed.status_code == 200
    assert plain.json()["id"] == suffixed.json()["id"] == obj["id"]
    assert plain.json()["images"] == [f"{emu.url}/images/{obj['id']}/1.png"]
    assert ISO_MS.match(plain.json()["trained_at"])


def test_unknown_ids_and_wrong_tune_are_404(emu: RunningEmulator, client: httpx.Client) -> None:
    obj = create(client, emu.url, tune=6, text="x").json()
    for path in (f"/tunes/7/prompts/{obj['id']}", "/tunes/6/prompts/999999",
                 "/tunes/abc/prompts", "/nowhere"):
        r = client.get(emu.url + path)
        assert r.status_code == 404, path
        assert "error" in r.json()
    assert client.delete(f"{emu.url}/tunes/7/prompts/{obj['id']}").status_code == 404


def test_auth_required_except_for_images(emu: RunningEmulator, bare: httpx.Client) -> None:
    url = f"{emu.url}/tunes/1/prompts"
    obj = bare.post(url, headers=KEY, files=form(text="x")).json()
    one = f"{url}/{obj['id']}"
    for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Basic abc"}):
        for r in (bare.get(url, headers=headers),
                  bare.post(url, headers=headers, files=form(text="x")),
                  bare.get(one, headers=headers), bare.delete(one, headers=headers)):
            assert r.status_code == 401
            assert "error" in r.json()
    assert bare.get(f"{emu.url}/images/{obj['id']}/1.png").status_code == 200


# -- validation --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("fields", "field", "needle"),
    [
        ({"negative_prompt": "blur"}, "text", "required"),
        ({"text": "x", "steps": "99"}, "steps", "out of range"),
        ({"text": "x", "num_images": "0"}, "num_images", "out of range"),
        ({"text": "x", "aspect_ratio": "1:2"}, "aspect_ratio", "not one of"),
        ({"text": "x", "scheduler": "Euler"}, "scheduler", "did you mean"),
        ({"text": "x", "inpaint_faces": "true"}, "inpaint_faces", "super_resolution"),
        ({"text": "x", "hires_fix": "true", "super_resolution": "false"}, "hires_fix",
         "super_resolution"),
        ({"text": "x", "controlnet": "pose"}, "controlnet", "input_image"),
        ({"text": "x", "seed": "abc"}, "seed", "integer"),
        ({"text": "x", "cfg_scale": "high"}, "cfg_scale", "number"),
        ({"text": "x", "super_resolution": "yes"}, "super_resolution", "boolean"),
        ({"text": "x", "w": "500"}, "w", "multiple of 8"),
        ({"text": "x", "callback": "ftp://x"}, "callback", "http"),
        ({"text": "x", "lora_scale": "0.5"}, "lora_scale", "prompts_attributes"),
        ({"text": "x", "sead": "1"}, "sead", "did you mean 'seed'"),
        ({"text": "x", "input_image": "not-a-file"}, "input_image", "file part"),
        ({"text": "   "}, "text", "empty"),
    ],
)
def test_invalid_creates_are_422(
    emu: RunningEmulator, client: httpx.Client, fields: dict[str, Any], field: str, needle: str
) -> None:
    before = emu.state.create_count
    r = create(client, emu.url, tune=9, **fields)
    assert r.status_code == 422
    body = r.json()
    assert isinstance(body[field], list)
    assert any(needle in message for message in body[field]), body
    assert emu.state.create_count == before


def test_json_validation(emu: RunningEmulator, client: httpx.Client) -> None:
    url = f"{emu.url}/tunes/9/prompts"
    r = client.post(url, json={"prompt": {"text": "x", "steps": 7.5, "face_swap": "yes"}})
    assert r.status_code == 422
    assert set(r.json()) == {"error", "steps", "face_swap"}
    assert r.json()["error"].startswith("steps")
    assert client.post(url, json={"text": "x"}).status_code == 422
    bad = client.post(url, content=b"{nope", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400 and "error" in bad.json()


def test_warnings_are_not_refused(emu: RunningEmulator, client: httpx.Client) -> None:
    r = create(client, emu.url, tune=9, text="x", denoising_strength="0.5",
               aspect_ratio="1:1", w="512", controlnet_txt2img="true", backend_version="0")
    assert r.status_code == 201, r.text
    assert r.json()["backend_version"] == 0


def test_file_uploads(emu: RunningEmulator, client: httpx.Client) -> None:
    png = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(png, format="PNG")
    files: dict[str, Any] = {**form(text="pose", controlnet="pose"),
             "prompt[input_image]": ("pose.png", png.getvalue(), "image/png")}
    r = client.post(f"{emu.url}/tunes/3/prompts", files=files)
    assert r.status_code == 201, r.text
    obj = r.json()
    assert client.get(obj["input_image"]).content == png.getvalue()
    record = next(p for p in emu.state.prompts if p.id == obj["id"])
    assert set(record.params["input_image"]) == {"file_sha256"}
    lone_mask: dict[str, Any] = {
        **form(text="m"), "prompt[mask_image]": ("m.png", b"x", "image/png"),
    }
    r = client.post(f"{emu.url}/tunes/3/prompts", files=lone_mask)
    assert r.status_code == 422 and "mask_image" in r.json()


def test_text_survives_quotes_unicode_and_urlencoded_bodies(
    emu: RunningEmulator, client: httpx.Client
) -> None:
    tricky = 'say "hi"; name="x"\r\n\tüñí — `$HOME` <file @at'
    r = create(client, emu.url, text=tricky, negative_prompt="")
    assert r.status_code == 201 and r.json()["text"] == tricky
    assert r.json()["negative_prompt"] == ""
    r = client.post(f"{emu.url}/tunes/1/prompts",
                    data={"prompt[text]": tricky, "prompt[steps]": "5", "other": "ignored"})
    assert r.status_code == 201 and r.json()["text"] == tricky and r.json()["steps"] == 5


def test_multipart_parser_edge_cases() -> None:
    body = (b"preamble\r\n--XyZ\r\n"
            b'Content-Disposition: form-data; name="prompt[text]"\r\n\r\n'
            b"line one\r\nline two\r\n--XyZ\r\n"
            b'Content-Disposition: form-data; name="a\\"b"; filename*=utf-8\'\'p%C3%A9.png\r\n'
            b"Content-Type: image/png\r\n\r\n\x00\x01--Xy\r\n--XyZ--\r\nepilogue")
    parts = parse_multipart(body, boundary_of('multipart/form-data; boundary="XyZ"') or "")
    assert [(p.name, p.filename) for p in parts] == [("prompt[text]", None), ('a"b', "pé.png")]
    assert parts[0].text() == "line one\r\nline two"
    assert parts[1].data == b"\x00\x01--Xy"
    with pytest.raises(MultipartError):
        parse_multipart(b"--XyZ\r\nno separator", "XyZ")
    with pytest.raises(MultipartError):
        parse_multipart(b"nothing here", "XyZ")


def _aiohttp_parts(body: bytes, content_type: str) -> list[tuple[str | None, str | None, bytes]]:
    """The parts aiohttp's own parser reads from a whole body: the oracle for ours."""
    from aiohttp import BodyPartReader, MultipartReader, StreamReader
    from aiohttp.base_protocol import BaseProtocol

    async def read() -> list[tuple[str | None, str | None, bytes]]:
        loop = asyncio.get_running_loop()
        stream = StreamReader(BaseProtocol(loop), 2**16, loop=loop)
        stream.feed_data(body)
        stream.feed_eof()
        out = []
        async for part in MultipartReader({"Content-Type": content_type}, stream):
            assert isinstance(part, BodyPartReader)
            out.append((part.name, part.filename, bytes(await part.read())))
        return out

    return asyncio.run(read())


@pytest.mark.parametrize("files", [
    {"prompt[text]": (None, "a fox\r\n--not a boundary"), "prompt[seed]": (None, "7")},
    {"prompt[text]": (None, "é ü 日本"),
     "prompt[input_image]": ("p é.png", b"\x89PNG\r\n\x00\xff")},
    [("prompt[image_reference_urls][]", (None, "https://a/1")),
     ("prompt[image_reference_urls][]", (None, "https://a/2")), ("other", (None, ""))],
])
def test_multipart_parser_reads_what_aiohttps_reads(files: Any) -> None:
    request = httpx.Request("POST", "http://emulator/", files=files)
    body, content_type = request.read(), request.headers["content-type"]
    boundary = boundary_of(content_type)
    assert boundary is not None
    ours = [(p.name, p.filename, p.data) for p in parse_multipart(body, boundary)]
    assert ours == _aiohttp_parts(body, content_type) and len(ours) == len(files)


def test_malformed_multipart_is_400(emu: RunningEmulator, client: httpx.Client) -> None:
    for content_type in ("multipart/form-data", "multipart/form-data; boundary=abc"):
        r = client.post(f"{emu.url}/tunes/1/prompts", content=b"garbage",
                        headers={"Content-Type": content_type})
        assert r.status_code == 400 and "error" in r.json()


# -- list and delete ---------------------------------------------------------------------------

def test_list_order_offset_limit_and_clamp(client: httpx.Client) -> None:
    with start_emulator() as emu:
        ids = [create(client, emu.url, tune=7, text=f"p{i}").json()["id"] for i in range(130)]
        create(client, emu.url, tune=8, text="other tune")
        newest_first = ids[::-1]
        url = f"{emu.url}/tunes/7/prompts"
        default = client.get(url).json()
        assert [p["id"] for p in default] == newest_first[:20]
        page = client.get(url, params={"offset": 20, "limit": 5}).json()
        assert [p["id"] for p in page] == newest_first[20:25]
        clamped = client.get(url, params={"limit": 500}).json()
        assert [p["id"] for p in clamped] == newest_first[:120]
        tail = client.get(url, params={"offset": 120, "limit": 120}).json()
        assert [p["id"] for p in tail] == newest_first[120:]
        assert all(p["tune_id"] == 7 for p in clamped + tail)
        assert client.get(url, params={"offset": 500}).json() == []
        assert client.get(url, params={"offset": "-1"}).status_code == 422
        assert client.get(url, params={"limit": "many"}).status_code == 422


def test_delete(client: httpx.Client) -> None:
    with start_emulator() as emu:
        a = create(client, emu.url, tune=4, text="a").json()
        b = create(client, emu.url, tune=4, text="b").json()
        r = client.delete(f"{emu.url}/tunes/4/prompts/{a['id']}")
        assert r.status_code in (200, 204)
        assert client.get(a["url"]).status_code == 404
        assert client.delete(f"{emu.url}/tunes/4/prompts/{a['id']}").status_code == 404
        listed = client.get(f"{emu.url}/tunes/4/prompts").json()
        assert [p["id"] for p in listed] == [b["id"]]
        assert [(p.id, p.deleted) for p in emu.state.prompts] == [(a["id"], True),
                                                                  (b["id"], False)]
        assert emu.state.create_count == 2


def test_creates_by_fields(client: httpx.Client) -> None:
    with start_emulator() as emu:
        for _ in range(2):
            create(client, emu.url, text="same", seed="1")
        create(client, emu.url, text="other", cfg_scale="7")
        counts = creates_by_fields(emu.state)
        assert counts[fields_key({"text": "same", "seed": 1})] == 2
        assert counts[fields_key({"text": "other", "cfg_scale": 7.0})] == 1
        assert emu.creates_by_fields() == counts


# -- images and latency ------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("fields", "size"),
    [
        ({}, (512, 512)),
        ({"w": "1024", "h": "768"}, (512, 384)),
        ({"w": "256", "h": "128"}, (256, 128)),
        ({"aspect_ratio": "16:9"}, (512, 288)),
        ({"aspect_ratio": "2:3"}, (341, 512)),
    ],
)
def test_images_are_pngs_of_the_asked_size(
    emu: RunningEmulator, client: httpx.Client, bare: httpx.Client, fields: dict[str, Any],
    size: tuple[int, int]
) -> None:
    obj = create(client, emu.url, text="a lighthouse at dusk", seed="3", **fields).json()
    done = wait_finished(client, obj)
    r = bare.get(done["images"][0])  # image URLs need no key
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(r.content))
    assert image.format == "PNG" and image.size == size


def test_image_count_colour_and_bounds(emu: RunningEmulator, client: httpx.Client,
                                      bare: httpx.Client) -> None:
    one = wait_finished(client, create(client, emu.url, text="t", seed="1", num_images="3").json())
    two = wait_finished(client, create(client, emu.url, text="t", seed="2").json())
    assert len(one["images"]) == 3 and len(two["images"]) == 1

    def corner(url: str) -> Any:
        return Image.open(io.BytesIO(bare.get(url).content)).convert("RGB").getpixel((1, 1))

    assert corner(one["images"][0]) == corner(one["images"][2])
    assert corner(one["images"][0]) != corner(two["images"][0])
    assert bare.get(f"{emu.url}/images/{one['id']}/4.png").status_code == 404
    assert bare.get(f"{emu.url}/images/999999/1.png").status_code == 404


def test_latency_delays_images() -> None:
    with start_emulator(EmulatorConfig(latency=0.5)) as emu, \
            keyed() as c:
        obj = create(c, emu.url, text="slow").json()
        early = c.get(obj["url"]).json()
        assert early["images"] == [] and early["trained_at"] is None
        done = wait_finished(c, obj)
        assert len(done["images"]) == 1 and done["trained_at"] is not None


# -- faults ------------------------------------------------------------------------------------

def test_fail_rate_answers_500_and_503_and_creates_nothing() -> None:
    with start_emulator(EmulatorConfig(fail_rate=1.0, seed=1)) as emu, \
            keyed() as c:
        statuses = {create(c, emu.url, text="x").status_code for _ in range(20)}
        assert statuses == {500, 503}
        assert emu.state.create_count == 0
        assert emu.state.faults["fail_500"] + emu.state.faults["fail_503"] == 20
        assert c.get(f"{emu.url}/tunes/1/prompts").status_code == 200  # reads stay reliable


def test_rate_limit_answers_429_with_retry_after() -> None:
    with start_emulator(EmulatorConfig(rate_limit=2)) as emu, keyed() as c:
        responses = [create(c, emu.url, text=f"x{i}") for i in range(8)]
        limited = [r for r in responses if r.status_code == 429]
        assert limited, [r.status_code for r in responses]
        assert {r.status_code for r in responses} <= {201, 429}
        for r in limited:
            assert int(r.headers["Retry-After"]) >= 1
        assert emu.state.create_count == 8 - len(limited)
        assert emu.state.faults["rate_limit"] == len(limited)


def test_drop_creates_then_cuts_the_connection() -> None:
    with start_emulator(EmulatorConfig(drop_rate=1.0)) as emu, keyed() as c:
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            create(c, emu.url, tune=2, text="dropped")
        listed = c.get(f"{emu.url}/tunes/2/prompts").json()
        assert [p["text"] for p in listed] == ["dropped"]
        assert emu.state.faults["drop"] == 1 and emu.state.create_count == 1


# -- callbacks ---------------------------------------------------------------------------------

class _Receiver(BaseHTTPRequestHandler):
    bodies: ClassVar[list[dict[str, Any]]] = []
    arrived = threading.Event()

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        type(self).bodies.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()
        type(self).arrived.set()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_callback_posts_the_finished_prompt_to_loopback() -> None:
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{server.server_address[1]}/done?x=1"
    try:
        with start_emulator(EmulatorConfig(latency=0.1)) as emu, keyed() as c:
            obj = create(c, emu.url, text="call me", callback=hook).json()
            create(c, emu.url, text="far away", callback="https://example.com/hook")
            assert _Receiver.arrived.wait(10)
            sent = _Receiver.bodies[0]["prompt"]
            assert sent["id"] == obj["id"] and sent["callback"] == hook
            assert len(sent["images"]) == 1
            deadline = time.monotonic() + 5
            while emu.state.callbacks_sent < 1 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert emu.state.callbacks_sent == 1
            assert len(_Receiver.bodies) == 1  # the non-loopback callback is never called
    finally:
        server.shutdown()
        server.server_close()


# -- curl --------------------------------------------------------------------------------------

def _reference_curl() -> str:
    lines = REFERENCE.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("curl -X POST"))
    end = start
    while lines[end].rstrip().endswith("\\"):
        end += 1
    return "\n".join(lines[start : end + 1])


def _curl(command: str, env: dict[str, str] | None = None) -> tuple[int, Any]:
    assert CURL is not None, "these tests drive the real curl binary"
    full = command.rstrip() + " -sS -w '\\n%{http_code}'"
    done = subprocess.run(["bash", "-c", full], capture_output=True, text=True, timeout=30,
                          env={**os.environ, **(env or {})}, check=True)
    body, _, status = done.stdout.rpartition("\n")
    return int(status), json.loads(body) if body.strip() else None


def test_the_reference_curl_example(emu: RunningEmulator) -> None:
    command = _reference_curl().replace("https://api.astria.ai", emu.url)
    status, obj = _curl(command, {"API_KEY": "reference-key"})
    assert status == 201
    for key in ("id", "callback", "text", "negative_prompt", "cfg_scale", "steps", "seed",
                "trained_at", "started_training_at", "created_at", "updated_at", "tune_id",
                "url"):
        assert key in obj
    assert obj["text"] == "a painting of ohwx man in the style of Van Gogh"
    assert obj["negative_prompt"] == "old, blemish, wrin"
    assert obj["callback"].startswith("https://optional-callback-url.com/")
    assert obj["super_resolution"] is True and obj["face_correct"] is True
    assert obj["tune_id"] == 1 and obj["url"] == f"{emu.url}/tunes/1/prompts/{obj['id']}.json"
    status, _ = _curl(command, {"API_KEY": ""})
    assert status == 401


def test_curl_reads_lists_and_deletes(emu: RunningEmulator) -> None:
    auth = "-H 'Authorization: Bearer k'"
    text = '@not a file; "quoted" $HOME'
    status, obj = _curl(f"curl {auth} {emu.url}/tunes/11/prompts "
                        f"--form-string {shlex.quote('prompt[text]=' + text)} -F prompt[steps]=12")
    assert status == 201 and obj["steps"] == 12 and obj["text"] == text
    status, got = _curl(f"curl {auth} {shlex.quote(obj['url'])}")
    assert status == 200 and got["id"] == obj["id"]
    status, listed = _curl(f"curl {auth} '{emu.url}/tunes/11/prompts?offset=0&limit=1'")
    assert status == 200 and [p["id"] for p in listed] == [obj["id"]]
    status, _ = _curl(f"curl -X DELETE {auth} {emu.url}/tunes/11/prompts/{obj['id']}")
    assert status in (200, 204)
    status, _ = _curl(f"curl {auth} {shlex.quote(obj['url'])}")
    assert status == 404


# -- binding and the command line --------------------------------------------------------------

def test_non_loopback_is_refused_unless_allowed(client: httpx.Client) -> None:
    with pytest.raises(UsageError, match="non-loopback"):
        start_emulator(EmulatorConfig(host="0.0.0.0"))
    with start_emulator(EmulatorConfig(host="0.0.0.0", allow_non_loopback=True)) as emu:
        port = emu.url.rsplit(":", 1)[1]
        assert create(client, f"http://127.0.0.1:{port}", text="x").status_code == 201


def test_a_busy_port_is_one_clear_error() -> None:
    with start_emulator() as emu:
        port = int(emu.url.rsplit(":", 1)[1])
        with pytest.raises(UsageError, match=f"cannot listen on 127.0.0.1:{port}"):
            start_emulator(EmulatorConfig(port=port))


def test_slow_rate_limit_admits_the_first_create() -> None:
    with start_emulator(EmulatorConfig(rate_limit=0.5)) as emu, keyed() as c:
        assert create(c, emu.url, text="first").status_code == 201
        second = create(c, emu.url, text="second")
        assert second.status_code == 429 and int(second.headers["Retry-After"]) >= 1


def test_localhost_binds_loopback(client: httpx.Client) -> None:
    with start_emulator(EmulatorConfig(host="localhost")) as emu:
        assert emu.url.startswith("http://127.0.0.1:")
        assert create(client, emu.url, text="x").status_code == 201


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("[::1]", True),
     ("localhost", True), ("0.0.0.0", False), ("::", False), ("192.168.1.2", False),
     ("example.com", False)],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "promptspec", "mock-server", *args]


def test_cli_serves_until_terminated() -> None:
    proc = subprocess.Popen(_cli("--port", "0", "--latency", "0.01"), stderr=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        match = re.fullmatch(r"promptspec mock-server listening on (http://127\.0\.0\.1:\d+)\n",
                             line)
        assert match, line
        r = httpx.post(f"{match[1]}/tunes/1/prompts", headers=KEY, files=form(text="cli"),
                       verify=tls())
        assert r.status_code == 201
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "args",
    [("--host", "0.0.0.0"), ("--host", "example.com"), ("--fail-rate", "1.5"),
     ("--drop-rate", "-0.1"), ("--rate-limit", "0"), ("--port", "70000"), ("--latency", "-1")],
)
def test_cli_refuses_bad_options(args: tuple[str, ...]) -> None:
    done = invoke("mock-server", *args)
    assert done.exit_code == 2
    assert "Traceback" not in done.stderr
    if args[0] == "--host":
        assert one_line_error(done, 2).endswith("pass --allow-non-loopback to expose the "
                                                "emulator beyond this machine")


def test_importing_the_emulator_api_loads_neither_aiohttp_nor_pillow() -> None:
    code = ("import sys, promptspec.emulator, promptspec.cli.mock_server_command; "
            "print(sorted(m for m in ('aiohttp', 'PIL') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=30)
    assert done.stdout.strip() == "[]"
