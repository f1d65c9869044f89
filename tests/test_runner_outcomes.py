"""Unknown create outcomes (502, 504, timeouts after sending) through `httpx.MockTransport`:
each is reconciled with the tune's prompt list before anything is sent again."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from promptspec.emulator._multipart import boundary_of, parse_multipart
from promptspec.emulator.validate import convert_form_value
from promptspec.request import Request, request_id
from promptspec.runner.plan import make_plan
from promptspec.runner.session import RunOptions, execute

KEY = "sk-outcomes-SECRET-77"


class FakeApi:
    """A small in-memory API; `script` decides each create: "ok", or a fault name. Bodies
    are read with the emulator's own multipart parser and value conversion."""

    def __init__(self, script: list[str], skew: float = 0.0) -> None:
        self.script = script
        self.skew = skew  # seconds the server's clock is off from ours
        self.prompts: list[dict[str, Any]] = []
        self.posts = 0
        self.broken_reads = False
        self.timeline: list[str] = []  # "POST", "list", "one", "image", in order

    def _form(self, request: httpx.Request) -> dict[str, Any]:
        boundary = boundary_of(request.headers["content-type"])
        assert boundary is not None
        out: dict[str, Any] = {}
        for part in parse_multipart(request.content, boundary):
            name = part.name[len("prompt["):-1]
            value, problem = convert_form_value(name, part.text())
            assert problem is None, problem
            out[name] = value
        return out

    def _create(self, request: httpx.Request, tune: int, user_error: bool = False
                ) -> dict[str, Any]:
        now = datetime.now(UTC) + timedelta(seconds=self.skew)
        obj: dict[str, Any] = {"id": len(self.prompts) + 1, "tune_id": tune, "images": [],
                               "user_error": None, "cost_mc": 5,
                               "created_at": now.isoformat().replace("+00:00", "Z"),
                               **self._form(request)}
        if user_error:
            obj["user_error"] = "the API refuses this prompt"
        self.prompts.append(obj)
        return obj

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.headers.get("authorization") in (f"Bearer {KEY}", None)
        parts = request.url.path.strip("/").split("/")
        if request.method == "POST":
            self.posts += 1
            self.timeline.append("POST")
            fate = self.script.pop(0) if self.script else "ok"
            tune = int(parts[1])
            if fate in ("ok", "502+", "504+", "drop+", "timeout+", "user_error"):
                obj = self._create(request, tune, user_error=fate == "user_error")
                if fate in ("502+", "504+"):
                    return httpx.Response(int(fate[:3]), text="Bad Gateway")
                if fate == "drop+":
                    raise httpx.RemoteProtocolError("Server disconnected", request=request)
                if fate == "timeout+":
                    raise httpx.ReadTimeout("timed out", request=request)
                return httpx.Response(201, json=obj)
            if fate == "504":
                return httpx.Response(504, text="Gateway Timeout")
            if fate in ("500", "503"):
                return httpx.Response(int(fate), json={"error": "busy"},
                                      headers={"Retry-After": "0"})
            if fate == "429":
                return httpx.Response(429, json={"error": "slow down"},
                                      headers={"Retry-After": "1"})
            if fate == "422":
                return httpx.Response(422, json={"steps": ["steps is out of range"]})
            if fate == "connect":
                raise httpx.ConnectError("refused", request=request)
            raise AssertionError(fate)
        if self.broken_reads:
            return httpx.Response(500, text="down")
        if parts[0] == "images":
            self.timeline.append("image")
            png = {"content-type": "image/png"}
            return httpx.Response(200, content=b"\x89PNG fake", headers=png)
        if len(parts) == 3:  # list, newest first
            self.timeline.append("list")
            offset = int(request.url.params.get("offset", 0))
            limit = int(request.url.params.get("limit", 20))
            newest = list(reversed(self.prompts))
            for obj in newest:
                self._finish(obj)
            return httpx.Response(200, json=newest[offset : offset + limit])
        self.timeline.append("one")
        obj = self.prompts[int(parts[3]) - 1]
        self._finish(obj)
        return httpx.Response(200, json=obj)

    def _finish(self, obj: dict[str, Any]) -> None:
        if obj["user_error"] is None:
            obj["images"] = [f"http://cdn.test/images/{obj['id']}-{n}" for n in range(2)]


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Every `asyncio.sleep` the runner asks for, recorded and not waited: the runner's
    delays are checked as the durations it asked for, not by a clock."""
    asked: list[float] = []
    real = asyncio.sleep

    async def sleep(delay: float, result: Any = None) -> Any:
        asked.append(delay)
        return await real(0, result)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    yield asked


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


def test_gives_up_after_the_attempts_and_reports(tmp_path: Path, slept: list[float]) -> None:
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


def test_a_prompt_that_cannot_be_polled_is_polled_again_later(tmp_path: Path,
                                                            slept: list[float]) -> None:
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


def test_429_500_503_are_retried_honouring_retry_after(tmp_path: Path,
                                                       slept: list[float]) -> None:
    api = FakeApi(["429", "500", "503"])
    code, err = run(tmp_path, api, 1)
    assert code == 0, err
    assert api.posts == 4 and len(api.prompts) == 1
    assert max(slept) >= 1.0  # Retry-After: 1 held the next create back a second
    assert "3 retries" in err


def test_unknown_outcome_not_created_is_listed_then_sent_again(tmp_path: Path) -> None:
    api = FakeApi(["504"])
    code, err = run(tmp_path, api, 1)
    assert code == 0, err
    assert api.posts == 2 and len(api.prompts) == 1
    first, second = (i for i, what in enumerate(api.timeline) if what == "POST")
    assert "list" in api.timeline[first + 1 : second]  # looked before sending again


def test_reconciling_tolerates_a_server_clock_behind_ours(tmp_path: Path) -> None:
    api = FakeApi(["504+"], skew=-45.0)
    code, err = run(tmp_path, api, 1)
    assert code == 0, err
    assert api.posts == 1 and len(api.prompts) == 1


def test_a_prompt_with_user_error_fails_the_run(tmp_path: Path) -> None:
    api = FakeApi(["user_error"])
    code, err = run(tmp_path, api, 2)
    assert code == 1
    assert "the API refuses this prompt" in err
    assert api.posts == 2
    lines = [json.loads(x) for x in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert [x["state"] for x in lines] == ["failed", "finished"]
    assert "the API refuses this prompt" in lines[0]["error"]


def test_422_is_reported_with_the_api_message_and_never_retried(tmp_path: Path) -> None:
    api = FakeApi(["422"])
    code, err = run(tmp_path, api, 2)
    assert code == 1
    assert api.posts == 2 and len(api.prompts) == 1  # one refused, once; one created
    lines = [json.loads(x) for x in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert [x["state"] for x in lines] == ["failed", "finished"]
    assert lines[0]["error"] == "HTTP 422: steps: steps is out of range"
    assert "steps is out of range" in err
