"""`promptspec run` (README: "Running a sweep, exactly once") as a user runs it: in-process against
the real emulator on loopback (faults injected where a case needs them), every request it
sends recorded on the wire. Subprocesses only where they are the point: SIGKILL mid-run and
a terminal that asks before a large run."""

from __future__ import annotations

import contextlib
import os
import pty
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import (
    KEY,
    ROOT,
    Wire,
    assert_exactly_once,
    invoke,
    never_written,
    one_line_error,
    results,
    sweep_spec,
    wait_until,
    write,
)
from PIL import Image

from promptspec import api
from promptspec.emulator import EmulatorConfig, RunningEmulator, start_emulator
from promptspec.emulator._objects import COST_PER_IMAGE_MC
from promptspec.runner._wire import Backoff


def params_of(spec: Path) -> list[dict[str, object]]:
    return [r.params for r in api.expand([str(spec)])]


def ids_of(spec: Path) -> list[str]:
    return [r.id for r in api.expand([str(spec)])]


# -- the key and the base URL ------------------------------------------------------------------

@pytest.mark.parametrize("key", [None, "", "   "])
def test_missing_key_is_one_line_exit_2_and_sends_nothing(
    project: Path, emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch, key: str | None
) -> None:
    if key is not None:
        monkeypatch.setenv("ASTRIA_API_KEY", key)
    sweep_spec(project)
    line = one_line_error(invoke("run", "demo.pspec", "--base-url", emulator.url), 2)
    assert line == ("ASTRIA_API_KEY is not set: export your Astria API key "
                    "(or use --mock to run against the built-in emulator)")
    assert emulator.state.requests_seen == 0


def test_base_url_option_beats_environment(
    project: Path, emulator: RunningEmulator, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sweep_spec(project, n=1)
    monkeypatch.setenv("ASTRIA_BASE_URL", "http://127.0.0.1:9")
    r = invoke("run", "demo.pspec", "--base-url", emulator.url, "--out", "a")
    assert r.exit_code == 0, r.stderr
    assert emulator.state.create_count == 1
    monkeypatch.setenv("ASTRIA_BASE_URL", emulator.url + "/")
    r = invoke("run", "demo.pspec", "--out", "b")
    assert r.exit_code == 0, r.stderr
    assert emulator.state.create_count == 2  # new out folder, same request: the env's URL


def test_configuration_gives_max_requests_and_base_url(
    tmp_path: Path, emulator: RunningEmulator, api_key: str
) -> None:
    write(tmp_path, {}, pyproject=f'[tool.promptspec]\nbase-url = "{emulator.url}"\n'
                                  "max-requests = 4\n")
    spec = sweep_spec(tmp_path, n=6)
    assert invoke("run", str(spec)).exit_code == 2
    r = invoke("run", str(spec), "--max-requests", "6", "--out", str(tmp_path / "o"), "--no-wait")
    assert r.exit_code == 0, r.stderr
    assert emulator.state.create_count == 6


def test_default_base_url_is_the_api(project: Path, api_key: str) -> None:
    sweep_spec(project, n=1)
    r = invoke("expand", "demo.pspec", "--format", "curl")
    assert "https://api.astria.ai/tunes/1/prompts" in r.stdout
    assert KEY not in r.stdout


def test_unreachable_server_at_start(project: Path, api_key: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = invoke("run", str(sweep_spec(project)), "--base-url", f"http://127.0.0.1:{port}")
    assert r.exit_code == 2
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith(f"cannot reach the API at http://127.0.0.1:{port}: ConnectError")
    assert "Traceback" not in r.stderr


# -- the run folder, exactly once, the key kept out --------------------------------------------

def test_run_folder_contents_and_resume(
    project: Path, emulator: RunningEmulator, wire: Wire, api_key: str
) -> None:
    spec = sweep_spec(project, n=3)
    r = invoke("run", "demo.pspec", "--base-url", emulator.url)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == ""
    assert "total: 3 requests, 6 images" in r.stderr
    assert "Done: 3 requests: 3 created, 3 finished, 0 failed" in r.stderr
    assert f"cost {6 * COST_PER_IMAGE_MC} mc" in r.stderr  # the summary carries the cost
    out = project / "runs" / "demo"
    assert (out / "run.sqlite").is_file() and (out / "index.html").is_file()
    with Image.open(out / "grids" / "p.png") as grid:
        assert grid.format == "PNG"
    lines = results(out)
    assert [x["id"] for x in lines] == ids_of(spec)
    assert [x["coords"] for x in lines] == [{"seed": s} for s in (1, 2, 3)]
    assert [x["index"] for x in lines] == [0, 1, 2]
    assert all(x["cost_mc"] == 2 * COST_PER_IMAGE_MC and x["state"] == "finished"
               for x in lines)
    for x in lines:
        rid = x["id"]
        assert sorted(p.name for p in (out / "images" / "p").glob(f"{rid}-*")) == [
            f"{rid}-0.png", f"{rid}-1.png"]
        assert (out / "images" / "p" / f"{rid}-0.png").read_bytes().startswith(b"\x89PNG")
    assert_exactly_once(emulator, params_of(spec))
    # the key: in every API call's Authorization, never to image hosts, never written
    assert all(s.authorization == f"Bearer {KEY}" for s in wire.sent
               if s.url.path.startswith("/tunes/"))
    assert len(wire.posts()) == 3 and len(wire.gets("image")) == 6
    assert all(s.authorization is None for s in wire.gets("image"))
    never_written(project, r.stdout, r.stderr)
    # again: resumes; nothing created, nothing downloaded
    before = len(wire.sent)
    stamps = [p.stat().st_mtime_ns for p in sorted((out / "images").rglob("*.png"))]
    again = invoke("run", "demo.pspec", "--base-url", emulator.url)
    assert again.exit_code == 0, again.stderr
    later = wire.sent[before:]
    assert not [s for s in later if s.method == "POST" or s.url.path.startswith("/images")]
    assert [p.stat().st_mtime_ns for p in sorted((out / "images").rglob("*.png"))] == stamps
    assert emulator.state.create_count == 3


def test_no_wait_then_a_plain_run(
    project: Path, emulator: RunningEmulator, wire: Wire, api_key: str
) -> None:
    spec = sweep_spec(project, n=2)
    r = invoke("run", "demo.pspec", "--base-url", emulator.url, "--no-wait", "--out", "o")
    assert r.exit_code == 0, r.stderr
    assert len(wire.posts()) == 2
    assert not wire.gets("one") and not wire.gets("image")
    assert not (project / "o" / "images").exists() and not (project / "o" / "index.html").exists()
    assert {x["state"] for x in results(project / "o")} == {"created"}
    r = invoke("run", "demo.pspec", "--base-url", emulator.url, "--out", "o")
    assert r.exit_code == 0, r.stderr
    assert len(wire.posts()) == 2 and len(wire.gets("image")) == 4
    assert [x["state"] for x in results(project / "o")] == ["finished", "finished"]
    assert_exactly_once(emulator, params_of(spec))


# the emulator behind --mock settles a prompt after 0.25 s; polling need not wait the API's 5 s
FAST_POLL: dict[str, str | None] = {"PROMPTSPEC_POLL_START": "0.2"}


def test_mock_needs_no_key_and_writes_under_runs(project: Path) -> None:
    spec = sweep_spec(project, n=2)
    r = invoke("run", "demo.pspec", "--mock", env=FAST_POLL)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == ""
    rows = results(project / "runs" / "demo")
    assert [x["state"] for x in rows] == ["finished", "finished"]
    assert all(len(x["images"]) == 2 for x in rows)
    assert spec.is_file()


def test_demo_keeps_axis_order_in_results_and_sheet(tmp_path: Path) -> None:
    """The README's quick start: coords keep the spec's axis order (seed before cfg_scale)."""
    out = tmp_path / "demo"
    r = invoke("run", str(ROOT / "specs" / "demo.pspec"), "--mock", "--out", str(out),
               env=FAST_POLL)
    assert r.exit_code == 0, r.stderr
    rows = results(out)
    assert len(rows) == 12 and {x["state"] for x in rows} == {"finished"}
    assert list(rows[0]["coords"]) == ["seed", "cfg_scale"]
    assert list(rows[-1]["coords"]) == ["light", "steps"]
    assert sum(len(x["images"]) for x in rows) == 15
    assert all((out / img).is_file() for x in rows for img in x["images"])
    assert (out / "grids" / "portrait.png").is_file()
    assert (out / "grids" / "light_study.png").is_file()
    html = (out / "index.html").read_text()
    assert html.index(">seed<") < html.index(">cfg_scale<")


# -- faults: retries, unknown outcomes ---------------------------------------------------------

def test_faults_create_each_request_once_and_never_leak_the_key(
    project: Path, api_key: str
) -> None:
    spec = sweep_spec(project, n=12, images=1)
    config = EmulatorConfig(latency=0.05, fail_rate=0.25, drop_rate=0.25, rate_limit=40,
                            seed=3)
    with start_emulator(config) as emu:
        r = invoke("run", "demo.pspec", "--base-url", emu.url, "--out", "out")
        assert r.exit_code == 0, r.stderr
        assert emu.state.faults["drop"] > 0
        assert emu.state.faults["fail_500"] + emu.state.faults["fail_503"] > 0
        assert_exactly_once(emu, params_of(spec))
    assert all(x["state"] == "finished" for x in results(project / "out"))
    written = {p.name for p in (project / "out").rglob("*") if p.is_file()}
    assert written >= {"run.sqlite", "results.jsonl", "index.html"}
    never_written(project, r.stdout, r.stderr)


def test_gives_up_after_exactly_the_retry_allowance_and_exits_1(
    project: Path, wire: Wire, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROMPTSPEC_BACKOFF_BASE", "0.0001")
    attempts = Backoff().attempts
    assert attempts >= 11  # the contract: at least ten retries
    sweep_spec(project, n=1)
    with start_emulator(EmulatorConfig(fail_rate=1.0, seed=1)) as emu:
        r = invoke("run", "demo.pspec", "--base-url", emu.url)
        assert r.exit_code == 1
        assert emu.state.create_count == 0
    assert len(wire.posts()) == attempts
    [row] = results(project / "runs" / "demo")
    assert row["state"] == "failed"
    assert row["error"].startswith(f"gave up after {attempts} attempts: HTTP 50")


def test_a_dropped_create_is_found_by_listing_not_resent(
    project: Path, wire: Wire, api_key: str
) -> None:
    spec = sweep_spec(project, n=1)
    with start_emulator(EmulatorConfig(drop_rate=1.0, seed=1)) as emu:
        r = invoke("run", "demo.pspec", "--base-url", emu.url)
        assert r.exit_code == 0, r.stderr
        assert emu.state.faults["drop"] == 1
        assert_exactly_once(emu, params_of(spec))
    assert len(wire.posts()) == 1
    kinds = [(s.method, s.url.path) for s in wire.sent]
    post = kinds.index(("POST", "/tunes/1/prompts"))
    assert ("GET", "/tunes/1/prompts") in kinds[post + 1:]  # reconciled by listing
    assert [x["remote_id"] for x in results(project / "runs" / "demo")] == [1]


def test_sigkill_mid_run_then_resume_exactly_once(tmp_path: Path, api_key: str) -> None:
    """A real process killed with SIGKILL while creates are on the wire; the next run
    reconciles what the dead one left in flight before sending anything again."""
    write(tmp_path, {}, pyproject="")
    spec = sweep_spec(tmp_path, n=40, images=1)
    out = tmp_path / "out"
    args = [sys.executable, "-m", "promptspec", "run", str(spec), "--out", str(out),
            "--concurrency", "4"]
    config = EmulatorConfig(latency=0.2, create_delay=0.05, drop_rate=0.1, seed=21)
    with start_emulator(config) as emu:
        proc = subprocess.Popen([*args, "--base-url", emu.url], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        wait_until(lambda: emu.state.create_count >= 12 or proc.poll() is not None, 60)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert proc.returncode == -signal.SIGKILL
        assert 12 <= emu.state.create_count < 40
        db = sqlite3.connect(out / "run.sqlite")
        inflight = db.execute("SELECT count(*) FROM requests WHERE state='inflight'").fetchone()
        db.close()
        assert inflight[0] >= 1  # the hard case: sent, outcome never seen
        # the next run comes after the server has made what the dead one sent (each create
        # is made `create_delay` after it arrives), as a user's next run would; a run that
        # comes sooner waits PROMPTSPEC_SETTLE seconds from each sending (test_runner_emulator)
        quiet_for(lambda: emu.state.create_count, 0.25)
        again = invoke("run", str(spec), "--out", str(out), "--concurrency", "4",
                       "--base-url", emu.url)
        assert again.exit_code == 0, again.stderr
        assert_exactly_once(emu, params_of(spec))
    lines = results(out)
    assert len(lines) == 40 and all(x["state"] == "finished" for x in lines)
    assert len({x["remote_id"] for x in lines}) == 40


def quiet_for(value: Callable[[], int], seconds: float) -> None:
    """Wait until `value()` has not changed for `seconds` (fail after 20 s: a hang)."""
    deadline = time.monotonic() + 20
    last, since = value(), time.monotonic()
    while time.monotonic() - since < seconds:
        assert time.monotonic() < deadline, "never quiet"
        time.sleep(0.01)
        if (now := value()) != last:
            last, since = now, time.monotonic()


# -- concurrency and rate ----------------------------------------------------------------------

def test_concurrency_bounds_creates_in_flight(
    project: Path, emulator: RunningEmulator, wire: Wire, api_key: str
) -> None:
    sweep_spec(project, n=6)
    wire.delay = 0.05  # each create holds its slot a while: the next ones must overlap
    r = invoke("run", "demo.pspec", "--base-url", emulator.url, "--concurrency", "2",
               "--no-wait")
    assert r.exit_code == 0, r.stderr
    assert len(wire.posts()) == 6
    assert wire.max_inflight == 2  # concurrent, and never more than asked


def test_rate_option_reaches_the_creates_bucket(
    project: Path, emulator: RunningEmulator, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from promptspec.runner import _api

    rates: list[float | None] = []

    class Bucket(_api.TokenBucket):
        def __init__(self, rate: float | None) -> None:
            rates.append(rate)
            super().__init__(rate)

    monkeypatch.setattr(_api, "TokenBucket", Bucket)
    sweep_spec(project, n=2)
    r = invoke("run", "demo.pspec", "--base-url", emulator.url, "--rate", "50", "--no-wait")
    assert r.exit_code == 0, r.stderr
    assert rates == [50.0]
    assert emulator.state.create_count == 2


# -- refusals and the plan ---------------------------------------------------------------------

@pytest.mark.parametrize(("text", "where"), [
    ('tune 1\nprompt p {\n  text = "x"\n  steps = = 9\n}\n', "demo.pspec:4:11: PS001 "),
    ('tune 1\nprompt p {\n  text = "x"\n  steps = 99\n}\n', "demo.pspec:4:11: PS103 "),
])
def test_spec_with_errors_is_refused_with_its_findings(
    project: Path, emulator: RunningEmulator, api_key: str, text: str, where: str
) -> None:
    (project / "demo.pspec").write_text(text)
    r = invoke("run", "demo.pspec", "--base-url", emulator.url)
    assert r.exit_code == 1
    assert where in r.stderr
    assert emulator.state.requests_seen == 0


def test_max_requests_default_1000_and_option(
    project: Path, emulator: RunningEmulator, api_key: str
) -> None:
    sweep_spec(project, n=1001)
    r = invoke("run", "demo.pspec", "--base-url", emulator.url, "--dry-run")
    assert r.exit_code == 2 and "more than the maximum of 1000" in r.stderr
    assert invoke("run", "demo.pspec", "--dry-run", "--max-requests", "1001").exit_code == 0
    sweep_spec(project, n=6)
    r = invoke("run", "demo.pspec", "--base-url", emulator.url, "--max-requests", "5")
    assert r.exit_code == 2 and r.stdout == ""
    assert "refusing to send 6 requests" in r.stderr
    assert emulator.state.requests_seen == 0
    assert not (project / "runs").exists()


def test_dry_run_prints_the_plan_and_sends_nothing(
    project: Path, emulator: RunningEmulator, api_key: str
) -> None:
    sweep_spec(project, n=3)
    r = invoke("run", "demo.pspec", "--base-url", emulator.url, "--dry-run")
    assert r.exit_code == 0
    assert "demo.pspec: p: 3 requests, 6 images" in r.stderr
    assert emulator.state.requests_seen == 0
    assert not (project / "runs").exists()


def _on_a_terminal(cwd: Path, answer: bytes | None, *args: str) -> tuple[int, str]:
    """Run with stdin and stderr on a pseudo-terminal; answer the question if one comes."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "promptspec", "run", *args], cwd=cwd,
                            env=dict(os.environ), stdin=slave, stdout=subprocess.DEVNULL,
                            stderr=slave)
    os.close(slave)
    seen = b""
    try:
        while answer is not None and b"?" not in seen:
            chunk = os.read(master, 4096)
            assert chunk, seen
            seen += chunk
        if answer is not None:
            os.write(master, answer)
        proc.wait(timeout=30)
        with contextlib.suppress(OSError):
            while chunk := os.read(master, 4096):
                seen += chunk
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, seen.decode(errors="replace")


def test_on_a_terminal_more_than_50_asks_first_unless_yes(
    project: Path, emulator: RunningEmulator, api_key: str
) -> None:
    sweep_spec(project, n=51, images=1)
    code, seen = _on_a_terminal(project, b"n\n", "demo.pspec", "--base-url", emulator.url)
    assert code == 1 and "Send 51 requests?" in seen
    assert emulator.state.requests_seen == 0
    code, seen = _on_a_terminal(project, None, "demo.pspec", "--base-url", emulator.url,
                                "--yes", "--no-wait")
    assert code == 0, seen
    assert emulator.state.create_count == 51
