"""Polling by listing: pages of 120 with `before_id`, no further than the oldest pending
prompt; single GETs only where the listing cannot reach; `user_error` fails a prompt, which
then stays failed until `--retry-failed`."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any

import httpx

from promptspec.emulator import EmulatorConfig, start_emulator
from promptspec.request import Request, request_id
from promptspec.runner._api import Api, ApiConfig
from promptspec.runner.ledger import Row
from promptspec.runner.plan import make_plan
from promptspec.runner.poll import Poller
from promptspec.runner.session import RunOptions, execute

KEY = "sk-polling-KEY-5e1"


class Listing:
    """A tune of `n` prompts (ids 1..n) that pages with `before_id`; `ready` ids have images."""

    def __init__(self, n: int, ready: set[int], before_id: bool = True) -> None:
        self.n, self.ready, self.before_id = n, ready, before_id
        self.limited = 0  # list calls still to answer 429
        self.calls: list[dict[str, str]] = []
        self.singles: list[int] = []

    def obj(self, pid: int) -> dict[str, Any]:
        images = [f"http://img.test/{pid}.png"] if pid in self.ready else []
        return {"id": pid, "tune_id": 1, "text": f"t{pid}", "images": images,
                "user_error": None, "cost_mc": 10}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.strip("/").split("/")
        if parts[-1].isdigit():  # GET /prompts/:id
            self.singles.append(int(parts[-1]))
            return httpx.Response(200, json=self.obj(int(parts[-1])))
        q = dict(request.url.params)
        self.calls.append(q)
        if self.limited:
            self.limited -= 1
            return httpx.Response(429, json={"error": "slow down"}, headers={"Retry-After": "0"})
        limit = min(int(q.get("limit", 20)), 120)
        ids = list(range(self.n, 0, -1))
        if self.before_id and "before_id" in q:
            ids = [i for i in ids if i < int(q["before_id"])]
        start = int(q.get("offset", 0))
        return httpx.Response(200, json=[self.obj(i) for i in ids[start : start + limit]])


def _row(pid: int) -> Row:
    return Row(id=f"ps_{pid:016x}", seq=pid, spec="s", prompt="p", index=pid, coords={},
               tune_id=1, params={"text": f"t{pid}"}, state="created", remote_id=pid)


def _poll(fake: Listing, pending: list[int]) -> list[dict[str, Any]]:
    async def main() -> list[dict[str, Any]]:
        api = Api(ApiConfig(base_url="http://api.test", key=KEY),
                  transport=httpx.MockTransport(fake))
        poller = Poller(api, start=0.001, cap=0.002)
        try:
            return await asyncio.gather(*(poller.settled(_row(p)) for p in pending))
        finally:
            poller.close()
            await api.aclose()

    return asyncio.run(main())


def test_pages_back_with_before_id_no_further_than_the_oldest_pending() -> None:
    fake = Listing(400, ready=set(range(1, 401)))
    got = _poll(fake, [390, 300, 200])  # 200 is on the second page (ids 280..161)
    assert [o["id"] for o in got] == [390, 300, 200]
    assert fake.calls == [{"limit": "120"}, {"limit": "120", "before_id": "281"}]
    assert not fake.singles


def test_one_round_settles_what_is_ready_and_backs_off_for_the_rest() -> None:
    fake = Listing(50, ready={10, 20})
    loop_calls: list[int] = []

    async def main() -> None:
        api = Api(ApiConfig(base_url="http://api.test", key=KEY),
                  transport=httpx.MockTransport(fake))
        poller = Poller(api, start=0.001, cap=0.004)
        waits = [asyncio.ensure_future(poller.settled(_row(p))) for p in (10, 20, 30)]
        await asyncio.wait(waits[:2])
        loop_calls.append(len(fake.calls))
        fake.ready.add(30)
        await waits[2]
        poller.close()
        await api.aclose()

    asyncio.run(main())
    assert loop_calls == [1]  # the three prompts share one listing per round
    assert not fake.singles


def test_polls_back_off_on_429_even_when_something_settled() -> None:
    fake = Listing(5, ready={3})
    fake.limited = 1

    async def main() -> float:
        from promptspec.runner._wire import Backoff

        api = Api(ApiConfig(base_url="http://api.test", key=KEY, backoff=Backoff(base=0.001)),
                  transport=httpx.MockTransport(fake))
        poller = Poller(api, start=0.01, cap=1.0)
        await poller.settled(_row(3))
        interval = poller._tunes[1].interval
        poller.close()
        await api.aclose()
        return interval

    assert asyncio.run(main()) == 0.02  # doubled, not back to the start
    assert len(fake.calls) == 2 and fake.limited == 0


def test_a_server_that_ignores_before_id_is_paged_by_offset() -> None:
    fake = Listing(300, ready=set(range(1, 301)), before_id=False)
    got = _poll(fake, [290, 5])
    assert [o["id"] for o in got] == [290, 5]
    assert fake.calls == [{"limit": "120"}, {"limit": "120", "before_id": "181"},
                          {"limit": "120", "offset": "120"}, {"limit": "120", "offset": "240"}]
    assert not fake.singles


def test_a_prompt_missing_from_the_listing_is_asked_for_alone() -> None:
    fake = Listing(10, ready=set(range(1, 12)))
    got = _poll(fake, [4, 11])  # 11 never shows in the listing (it lags): asked alone
    assert [o["id"] for o in got] == [4, 11]
    assert 11 in fake.singles and 4 not in fake.singles


class Doomed(httpx.AsyncBaseTransport):
    """The real emulator behind a transport that reports prompts whose text holds "doomed"
    the way the API reports a failed prompt: `user_error` set, no images."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        resp = await self.inner.handle_async_request(request)
        if request.method != "GET" or "/prompts" not in request.url.path:
            return resp
        await resp.aread()
        data = json.loads(resp.content)
        for obj in data if isinstance(data, list) else [data]:
            if isinstance(obj, dict) and "doomed" in str(obj.get("text")):
                obj.update(images=[], user_error="Face not detected in the input image")
        return httpx.Response(resp.status_code, json=data)


def _reqs() -> list[Request]:
    out = []
    for i, text in enumerate(["a fox", "a doomed fox", "a cat"]):
        params: dict[str, Any] = {"text": text}
        out.append(Request(request_id(1, params), "s.pspec", "p", i, {"i": i}, 1, params, {}))
    return out


def test_user_error_fails_the_prompt_until_retry_failed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with start_emulator(EmulatorConfig(latency=0.05)) as emu:
        def run(**kw: Any) -> tuple[int, str]:
            opts = RunOptions(out_dir=out, base_url=emu.url, key=KEY, poll_start=0.02,
                              poll_cap=0.1, backoff_base=0.01, transport=Doomed(), **kw)
            stream = io.StringIO()
            return execute(make_plan(_reqs(), 10), opts, stream), stream.getvalue()

        code, err = run()
        assert code == 1 and "Face not detected in the input image" in err
        lines = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
        assert [x["state"] for x in lines] == ["finished", "failed", "finished"]
        assert lines[1]["error"] == "Face not detected in the input image"
        assert lines[1]["remote_id"] is not None and lines[1]["images"] == []
        assert emu.state.create_count == 3
        code, _ = run()  # stays failed, not sent again
        assert code == 1 and emu.state.create_count == 3
        code, _ = run(retry_failed=True)  # sent again, once
        assert code == 1 and emu.state.create_count == 4


def test_reconciliation_pages_the_same_way_and_stops_at_older_prompts() -> None:
    """Reconciliation lists with the same paging as polling: `before_id`, then by offset
    from a server that ignores it, and no page past the first prompt older than `since`."""
    from promptspec.runner.reconcile import list_since

    class Dated(Listing):
        def obj(self, pid: int) -> dict[str, Any]:
            return {**super().obj(pid), "created_at": f"2026-01-01T00:{pid // 60:02d}:"
                                                      f"{pid % 60:02d}Z"}

    async def listed(fake: Listing, since: float) -> list[int]:
        api = Api(ApiConfig(base_url="http://api.test", key=KEY),
                  transport=httpx.MockTransport(fake))
        try:
            return [o["id"] for o in await list_since(api.list_page, 1, since)]
        finally:
            await api.aclose()

    from datetime import datetime
    since = datetime.fromisoformat("2026-01-01T00:00:50+00:00").timestamp()
    for before_id in (True, False):
        fake = Dated(300, ready=set(), before_id=before_id)
        assert asyncio.run(listed(fake, since)) == list(range(300, 49, -1))
        pages = [{"limit": "120"}, {"limit": "120", "before_id": "181"},
                 {"limit": "120", "before_id": "61"}] if before_id else [
                 {"limit": "120"}, {"limit": "120", "before_id": "181"},
                 {"limit": "120", "offset": "120"}, {"limit": "120", "offset": "240"}]
        assert fake.calls == pages
