"""Unknown create outcomes (502, 504, timeouts after sending) through `httpx.MockTransport`:
each is reconciled with the tune's prompt list before anything is sent again."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any

import httpx
import pytest

from promptspec.request import Request, request_id
from promptspec.runner.plan import make_plan
from promptspec.runner.session import RunOptions, execute

KEY = "sk-outcomes-SECRET-77"


class FakeApi:
    """A small in-memory API; `script` decides each create: "ok", or a fault name."""

    def __init__(self, script: list[str]) -> None:
        self.script = script
        self.prompts: list[dict[str, Any]] = []
        self.posts = 0
        self.broken_reads = False

    def _form(self, request: httpx.Request) -> dict[str, Any]:
        head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
        msg = BytesParser(policy=HTTP).parsebytes(head + request.content)
        out: dict[str, Any] = {}
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            value = part.get_content()
            out[str(name)[len("prompt[") : -1]] = value
        return out

    def _create(self, request: httpx.Request, tune: int) -> dict[str, Any]:
        form = self._form(request)
        obj: dict[str, Any] = {"id": len(self.prompts) + 1, "tune_id": tune, "images": [],
                               "user_error": None, "cost_mc": 5,
                               "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z")}
        for k, v in form.items():  # echo typed, as the API does
            obj[k] = {"true": True, "false": False}.get(v, v)
            if k in ("seed", "steps"):
                obj[k] = int(v)
            if k == "cfg_scale":
                obj[k] = float(v)
        self.prompts.append(obj)
        return obj

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.headers.get("authorization") in (f"Bearer {KEY}", None)
        parts = request.url.path.strip("/").split("/")
        if request.method == "POST":
            self.posts += 1
            fate = self.script.pop(0) if self.script else "ok"
            tune = int(parts[1])
            if fate in ("ok", "502+", "drop+", "timeout+"):
                obj = self._create(request, tune)
                if fate == "502+":
                    return httpx.Response(502, text="Bad Gateway")
                if fate == "drop+":
                    raise httpx.RemoteProtocolError("Server disconnected", request=request)
                if fate == "timeout+":
                    raise httpx.ReadTimeout("timed out", request=request)
                return httpx.Response(201, json=obj)
            if fate == "504":
                return httpx.Response(504, text="Gateway Timeout")
            if fate == "503":
                return httpx.Response(503, json={"error": "busy"}, headers={"Retry-After": "0"})
            if fate == "connect":
                raise httpx.ConnectError("refused", request=request)
            raise AssertionError(fate)
        if self.broken_reads:
            return httpx.Response(500, text="down")
        if parts[0] == "images":
            png = {"content-type": "image/png"}
            return httpx.Response(200, content=b"\x89PNG fake", headers=png)
        if len(parts) == 3:  # list, newest first; before_id is not understood
            offset = int(request.url.params.get("offset", 0))
            limit = int(request.url.params.get("limit", 20))
            newest = [self._ready(obj) for obj in reversed(self.prompts)]  # ready once read
            return httpx.Response(200, json=newest[offset : offset + limit])
        obj = self._ready(self.prompts[int(parts[3]) - 1])
        return httpx.Response(200, json=obj)

    def _ready(self, obj: dict[str, Any]) -> dict[str, Any]:
        obj["images"] = [f"http://cdn.test/images/{obj['id']}-{n}" for n in range(2)]
        return obj


def requests(n: int) -> list[Request]:
    out = []
    for i in range(n):
        params: dict[str, Any] = {"text": "same text", "seed": i, "cfg_scale": 7.0,
                                  "super_resolution": True}
        out.append(Request(request_id(5, params), "s.pspec", "p", i, {"seed": i}, 5, params, {}))
    return out


def run(tmp_path: Path, api: Callable[[httpx.Request], httpx.Response], n: int,
        **kw: Any) -> tuple[int, str]:
    opts = RunOptions(out_dir=tmp_path / "out", base_url="http://api.test", key=KEY,
                      concurrency=1, backoff_base=0.001, poll_start=0.001, poll_cap=0.01,
                      transport=httpx.MockTransport(api), **kw)
    stream = io.StringIO()
    return execute(make_plan(requests(n), 100), opts, stream), stream.getvalue()


@pytest.mark.parametrize("fault", ["502+", "drop+", "timeout+"])
def test_created_despite_the_fault_is_found_not_resent(tmp_path: Path, fault: str) -> None:
    api = FakeApi(["ok", fault, "ok"])
    code, err = run(tmp_path, api, 3)
    assert code == 0, err
    assert api.posts == 3 and len(api.prompts) == 3
    lines = [json.loads(x) for x in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert [x["remote_id"] for x in lines] == [1, 2, 3]
    assert all(x["state"] == "finished" and len(x["images"]) == 2 for x in lines)
    # extension from the content type when the URL has none
    assert lines[0]["images"][0].endswith("-0.png")


@pytest.mark.parametrize("fault", ["504", "503", "connect"])
def test_not_created_is_sent_again(tmp_path: Path, fault: str) -> None:
    api = FakeApi([fault, fault, "ok"])
    code, err = run(tmp_path, api, 2)
    assert code == 0, err
    assert api.posts == 4 and len(api.prompts) == 2
    assert sorted(p["seed"] for p in api.prompts) == [0, 1]
    assert "2 retries" in err


def test_gives_up_after_the_attempts_and_reports(tmp_path: Path) -> None:
    api = FakeApi(["503"] * 12)
    code, _ = run(tmp_path, api, 1)
    assert code == 1
    assert api.posts == 12 and not api.prompts
    line = json.loads((tmp_path / "out" / "results.jsonl").read_text())
    assert line["state"] == "failed"
    assert "gave up after 12 attempts: HTTP 503: busy" in line["error"]
    # it stays failed: a later run does not send it again ...
    code, _ = run(tmp_path, api, 1)
    assert code == 1 and api.posts == 12 and not api.prompts
    # ... unless asked to, once
    code, _ = run(tmp_path, api, 1, retry_failed=True)
    assert code == 0 and len(api.prompts) == 1


def test_the_key_never_goes_to_image_hosts_or_output(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []
    api = FakeApi(["502+"])

    def spy(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return api(request)

    assert run(tmp_path, spy, 1)[0] == 0
    cdn = [r for r in seen if r.url.host == "cdn.test"]
    assert cdn and all("authorization" not in r.headers for r in cdn)
    for path in (tmp_path / "out").rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


def test_a_prompt_that_cannot_be_polled_is_polled_again_later(tmp_path: Path) -> None:
    api = FakeApi([])
    api.broken_reads = True
    code, err = run(tmp_path, api, 1)
    assert code == 1 and "HTTP 500: down" in err
    line = json.loads((tmp_path / "out" / "results.jsonl").read_text())
    assert line["state"] == "created" and line["remote_id"] == 1
    api.broken_reads = False
    code, _ = run(tmp_path, api, 1)
    assert code == 0 and api.posts == 1
    line = json.loads((tmp_path / "out" / "results.jsonl").read_text())
    assert line["state"] == "finished" and line["error"] is None
