"""The runner against the real emulator on loopback with faults injected, through both
ledgers: real SQLite and a real PostgreSQL server (the `ledger` fixture runs each twice)."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import KEY, assert_exactly_once, results

from promptspec.emulator import EmulatorConfig, RunningEmulator, start_emulator
from promptspec.errors import RunError
from promptspec.request import Request, request_id
from promptspec.runner.plan import make_plan
from promptspec.runner.session import RunOptions, execute


def make_requests(n: int, tune: int = 1, extra: dict[str, Any] | None = None) -> list[Request]:
    out = []
    for i in range(n):
        prompt = "p" if i % 2 == 0 else "q"
        params: dict[str, Any] = {"text": f"a fox number {i}", "seed": i, "cfg_scale": 7.0,
                                  "num_images": 1 + i % 2, "w": 64, "h": 64,  # cheap images
                                  **(extra or {})}
        out.append(Request(request_id(tune, params), "s.pspec", prompt, i // 2, {"seed": i},
                           tune, params, {}))
    return out


def options(out: Path, url: str, **kw: Any) -> RunOptions:
    base: dict[str, Any] = {"concurrency": 8, "backoff_base": 0.01, "poll_start": 0.05,
                            "poll_cap": 0.2, "settle": 0.05}
    base.update(kw)
    return RunOptions(out_dir=out, base_url=url, key=KEY, **base)


def run(reqs: list[Request], opts: RunOptions) -> tuple[int, str]:
    stream = io.StringIO()
    code = execute(make_plan(reqs, 1000), opts, stream)
    return code, stream.getvalue()


def assert_created_once(emu: RunningEmulator, reqs: list[Request]) -> None:
    assert_exactly_once(emu, [r.params for r in reqs])


def test_faults_every_request_created_exactly_once(tmp_path: Path, ledger: str | None) -> None:
    # A 429's Retry-After holds every create for at least a whole second; the pause is the
    # client's, the same for either ledger, so one ledger meets it (the other meets the
    # failed creates, which take the same way back through the ledger).
    rate_limit = 16 if ledger is None else None
    config = EmulatorConfig(fail_rate=0.15, rate_limit=rate_limit, drop_rate=0.1, seed=11,
                            latency=0.05)
    reqs = make_requests(24)
    with start_emulator(config) as emu:
        code, err = run(reqs, options(tmp_path / "out", emu.url, ledger=ledger))
        assert code == 0, err
        assert_created_once(emu, reqs)
        faults = emu.state.faults
        assert faults["drop"] > 0 and (faults["rate_limit"] > 0) == (rate_limit is not None)
        assert faults["fail_500"] + faults["fail_503"] > 0
    rows = results(tmp_path / "out")
    assert [r["id"] for r in rows] == [r.id for r in reqs]
    assert all(r["state"] == "finished" and r["error"] is None for r in rows)
    for r, line in zip(reqs, rows, strict=True):
        assert len(line["images"]) == r.params["num_images"]
        assert line["cost_mc"] == 10 * r.params["num_images"]
        assert all((tmp_path / "out" / p).is_file() for p in line["images"])
        assert line["images"][0] == f"images/{r.prompt}/{r.id}-0.png"
    assert "Done: 24 requests" in err


def test_resume_sends_nothing_and_downloads_nothing(tmp_path: Path, emulator: RunningEmulator,
                                                    ledger: str | None) -> None:
    reqs = make_requests(6)
    out = tmp_path / "out"
    assert run(reqs, options(out, emulator.url, ledger=ledger))[0] == 0
    images = sorted((out / "images").rglob("*.png"))
    stamps = [p.stat().st_mtime_ns for p in images]
    seen = emulator.state.requests_seen
    assert run(reqs, options(out, emulator.url, ledger=ledger))[0] == 0
    assert emulator.state.create_count == 6
    assert emulator.state.requests_seen - seen == 1  # the start-up check alone
    assert [p.stat().st_mtime_ns for p in images] == stamps
    # a lost image is downloaded again, nothing else
    images[0].unlink()
    assert run(reqs, options(out, emulator.url, ledger=ledger))[0] == 0
    assert images[0].is_file() and emulator.state.create_count == 6


def _sql(out: Path, ledger: str | None, sql: str, *params: Any) -> None:
    """Change the ledger behind the runner's back (SQLite file or PostgreSQL schema)."""
    if ledger is None:
        db = sqlite3.connect(out / "run.sqlite")
        db.execute(sql, params)
        db.commit()
        db.close()
        return
    import psycopg

    with psycopg.connect(ledger, autocommit=True) as conn:
        conn.execute("SET search_path TO promptspec")
        conn.execute(sql.replace("?", "%s"), params)


def test_inflight_rows_left_by_a_crash_are_reconciled(tmp_path: Path, emulator: RunningEmulator,
                                                      ledger: str | None) -> None:
    """Simulate a crash between the server's create and our record of it."""
    reqs = make_requests(4)
    out = tmp_path / "out"
    # (a shared ledger's claim lapses 0.5 s after its runner stops renewing it)
    assert run(reqs[:2], options(out, emulator.url, wait=False, ledger=ledger,
                                 lease=0.5))[0] == 0
    # row 0: created on the server, but the ledger only knows it was in flight
    _sql(out, ledger, "UPDATE requests SET state='inflight', remote_id=NULL WHERE id=?",
         reqs[0].id)
    assert run(reqs, options(out, emulator.url, ledger=ledger, lease=0.5))[0] == 0
    assert_created_once(emulator, reqs)
    remote = {r["id"]: r["remote_id"] for r in results(out)}
    assert len(set(remote.values())) == 4


def test_validation_error_is_reported_with_the_api_message(tmp_path: Path,
                                                           emulator: RunningEmulator,
                                                           ledger: str | None) -> None:
    good = make_requests(2)
    bad = make_requests(1, extra={"steps": 99})
    bad = [Request(bad[0].id, "s.pspec", "bad", 0, {}, 1, bad[0].params, {})]
    code, err = run(good + bad, options(tmp_path / "out", emulator.url, ledger=ledger))
    assert code == 1
    line = results(tmp_path / "out")[-1]
    assert line["state"] == "failed" and line["remote_id"] is None
    assert line["error"].startswith("HTTP 422: steps") and "steps: " in line["error"]
    assert "steps" in err and "1 failed" in err
    assert emulator.state.create_count == 2
    # it stays failed: the next run sends nothing and still exits 1
    seen = emulator.state.requests_seen
    code, _ = run(good + bad, options(tmp_path / "out", emulator.url, ledger=ledger))
    assert code == 1 and emulator.state.requests_seen - seen == 1  # the start-up check
    assert results(tmp_path / "out")[-1]["error"].startswith("HTTP 422: steps")


def test_refused_key_stops_the_run(tmp_path: Path) -> None:
    import httpx

    def refuse(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == f"Bearer {KEY}"
        return httpx.Response(401, json={"error": "Unauthorized"})

    opts = options(tmp_path / "out", "http://api.test", transport=httpx.MockTransport(refuse))
    with pytest.raises(RunError, match="refused the key") as info:
        run(make_requests(2), opts)
    assert "\n" not in str(info.value) and KEY not in str(info.value)


def test_a_create_still_in_the_making_is_awaited_before_reconciling(
        tmp_path: Path, emulator: RunningEmulator) -> None:
    """A run dies just after sending a create that the server makes a moment later (it is
    slow, or the request is still on its way): the next run lists the tune only `settle`
    seconds after that sending, finds the prompt and does not send the request twice."""
    import threading

    import httpx

    from promptspec.runner.ledgers import open_ledger

    reqs = make_requests(2)
    out = tmp_path / "out"
    out.mkdir()
    with open_ledger(None, out) as ledger:
        rows = ledger.plan(reqs)
        assert ledger.claim(rows[0]) == "ok"  # marked in flight and sent, then the run died
    late = threading.Timer(0.5, lambda: httpx.post(
        f"{emulator.url}/tunes/1/prompts", json={"prompt": reqs[0].params},
        headers={"Authorization": f"Bearer {KEY}"}, timeout=10))
    late.start()
    try:
        # with settle=0.001 the listing comes before the late create: it is sent twice
        assert run(reqs, options(out, emulator.url, settle=1.0))[0] == 0
    finally:
        late.join()
    assert_created_once(emulator, reqs)
    assert len({r["remote_id"] for r in results(out)}) == 2
