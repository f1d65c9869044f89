"""`promptspec run` end to end: real spec files, the real emulator, real subprocesses
(one of them killed with SIGKILL mid-run), and the key never written anywhere."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from promptspec import api
from promptspec.cli import cli
from promptspec.emulator import EmulatorConfig, RunningEmulator, fields_key, start_emulator

KEY = "sk-cli-VERY-DISTINCTIVE-KEY-9d2e"
SPEC = 'tune 1\nprompt p {\n  text = "a fox {{ seed }}"\n  sweep {\n    seed = 1..%d\n  }\n}\n'


def project(tmp_path: Path, n: int = 6, pyproject: str = "") -> Path:
    (tmp_path / "pyproject.toml").write_text(pyproject)
    spec = tmp_path / "demo.pspec"
    spec.write_text(SPEC % n)
    return spec


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ASTRIA_", "PROMPTSPEC_"))}
    base.update({"ASTRIA_API_KEY": KEY, "PROMPTSPEC_BACKOFF_BASE": "0.01",
                 "PROMPTSPEC_POLL_START": "0.05"})
    base.update(extra)
    return base


def invoke(args: list[str], **extra: str) -> Any:
    e = env(**extra)
    for k in [k for k in os.environ if k.startswith(("ASTRIA_", "PROMPTSPEC_"))]:
        e.setdefault(k, "")
    if "ASTRIA_API_KEY" in extra and not extra["ASTRIA_API_KEY"]:
        e["ASTRIA_API_KEY"] = ""
    return CliRunner().invoke(cli, ["run", *args], env=e, catch_exceptions=False)


def expected_params(spec: Path) -> list[dict[str, Any]]:
    return [r.params for r in api.expand([str(spec)])]


def assert_exactly_once(emu: RunningEmulator, spec: Path) -> None:
    params = expected_params(spec)
    counts = emu.creates_by_fields()
    assert emu.state.create_count == len(params)
    assert all(counts[fields_key(p)] == 1 for p in params)


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with start_emulator(EmulatorConfig(latency=0.1, seed=5)) as emu:
        yield emu


def test_run_against_the_emulator(tmp_path: Path, emulator: RunningEmulator) -> None:
    spec = project(tmp_path)
    out = tmp_path / "out"
    result = invoke([str(spec), "--base-url", emulator.url, "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "total: 6 requests, 6 images" in result.stderr
    assert "Done: 6 requests: 6 created, 6 finished, 0 failed" in result.stderr
    lines = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert [x["coords"] for x in lines] == [{"seed": s} for s in range(1, 7)]
    assert [x["index"] for x in lines] == list(range(6))
    assert (out / "index.html").is_file() and (out / "run.sqlite").is_file()
    assert_exactly_once(emulator, spec)


def test_mock_and_default_out_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = project(tmp_path, n=2)
    monkeypatch.chdir(tmp_path)
    result = invoke(["demo.pspec", "--mock"], ASTRIA_API_KEY="")
    assert result.exit_code == 0, result.stderr
    rows = (tmp_path / "runs" / "demo" / "results.jsonl").read_text().splitlines()
    assert [json.loads(x)["state"] for x in rows] == ["finished", "finished"]
    assert spec.is_file()


def test_no_wait_then_plain_run(tmp_path: Path, emulator: RunningEmulator) -> None:
    spec = project(tmp_path)
    args = [str(spec), "--base-url", emulator.url, "--out", str(tmp_path / "out")]
    assert invoke([*args, "--no-wait"]).exit_code == 0
    assert emulator.state.create_count == 6 and not (tmp_path / "out" / "images").exists()
    assert invoke(args).exit_code == 0
    assert_exactly_once(emulator, spec)
    assert len(list((tmp_path / "out" / "images" / "p").iterdir())) == 6


def test_dry_run_sends_nothing(tmp_path: Path, emulator: RunningEmulator) -> None:
    spec = project(tmp_path)
    result = invoke([str(spec), "--base-url", emulator.url, "--out", str(tmp_path / "o"),
                     "--dry-run"])
    assert result.exit_code == 0
    assert "demo.pspec: p: 6 requests, 6 images" in result.stderr
    assert emulator.state.requests_seen == 0 and not (tmp_path / "o").exists()


def test_max_requests_refusal(tmp_path: Path, emulator: RunningEmulator) -> None:
    spec = project(tmp_path)
    result = invoke([str(spec), "--base-url", emulator.url, "--max-requests", "5"])
    assert result.exit_code == 2
    assert "refusing to send 6 requests" in result.stderr
    assert emulator.state.requests_seen == 0


def test_configuration_gives_max_requests_and_base_url(tmp_path: Path,
                                                       emulator: RunningEmulator) -> None:
    spec = project(tmp_path, pyproject=f'[tool.promptspec]\nbase-url = "{emulator.url}"\n'
                                       "max-requests = 4\n")
    assert invoke([str(spec)]).exit_code == 2
    result = invoke([str(spec), "--max-requests", "6", "--out", str(tmp_path / "o"),
                     "--no-wait"])
    assert result.exit_code == 0, result.stderr
    assert emulator.state.create_count == 6


def test_missing_key(tmp_path: Path) -> None:
    result = invoke([str(project(tmp_path))], ASTRIA_API_KEY="")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "ASTRIA_API_KEY is not set: export your Astria API key "
        "(or use --mock to run against the built-in emulator)"
    ]


def test_unreachable_server_at_start(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = invoke([str(project(tmp_path)), "--base-url", f"http://127.0.0.1:{port}",
                     "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"cannot reach the API at http://127.0.0.1:{port}: ConnectError")
    assert "Traceback" not in result.stderr


def test_spec_with_errors_is_refused(tmp_path: Path, emulator: RunningEmulator) -> None:
    project(tmp_path)
    bad = tmp_path / "bad.pspec"
    bad.write_text('tune 1\nprompt p {\n  text = "x"\n  steps = = 9\n}\n')
    result = invoke([str(bad), "--base-url", emulator.url])
    assert result.exit_code == 1
    assert "bad.pspec:4:11: PS001 " in result.stderr
    assert emulator.state.requests_seen == 0


def _subprocess(args: list[str], **extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "promptspec", "run", *args],
                            env=env(**extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_key_never_written(tmp_path: Path) -> None:
    spec = project(tmp_path, n=12)
    out = tmp_path / "out"
    config = EmulatorConfig(latency=0.1, fail_rate=0.2, drop_rate=0.2, seed=8)
    with start_emulator(config) as emu:
        proc = _subprocess([str(spec), "--base-url", emu.url, "--out", str(out)])
        stdout, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 0, stderr.decode()
        assert emu.state.faults["drop"] > 0
    written = [p for p in out.rglob("*") if p.is_file()]
    assert {p.name for p in written} >= {"run.sqlite", "results.jsonl", "index.html"}
    for blob in [stdout, stderr, *(p.read_bytes() for p in written)]:
        assert KEY.encode() not in blob
        assert KEY[5:20].encode() not in blob


def test_sigkill_mid_run_then_resume_exactly_once(tmp_path: Path) -> None:
    spec = project(tmp_path, n=40)
    out = tmp_path / "out"
    config = EmulatorConfig(latency=0.2, create_delay=0.05, drop_rate=0.1, seed=21)
    with start_emulator(config) as emu:
        proc = _subprocess([str(spec), "--base-url", emu.url, "--out", str(out),
                            "--concurrency", "4"])
        deadline = time.monotonic() + 30
        while emu.state.create_count < 12 and proc.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)
        assert proc.returncode == -signal.SIGKILL
        before = emu.state.create_count
        assert 12 <= before < 40
        time.sleep(0.1)  # creates the dead client left on the wire complete server-side
        db = sqlite3.connect(out / "run.sqlite")
        inflight = db.execute("SELECT count(*) FROM requests WHERE state='inflight'").fetchone()
        db.close()
        assert inflight[0] >= 1  # the hard case: sent, outcome never seen
        again = _subprocess([str(spec), "--base-url", emu.url, "--out", str(out),
                             "--concurrency", "4"])
        _, stderr = again.communicate(timeout=60)
        assert again.returncode == 0, stderr.decode()
        assert_exactly_once(emu, spec)
    lines = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert len(lines) == 40 and all(x["state"] == "finished" for x in lines)
    assert len({x["remote_id"] for x in lines}) == 40


def test_demo_keeps_axis_order_in_results_and_sheet(tmp_path: Path) -> None:
    """The README's quick start: coords keep the spec's axis order (seed before cfg_scale)."""
    root = Path(__file__).resolve().parent.parent
    out = tmp_path / "demo"
    result = invoke([str(root / "specs" / "demo.pspec"), "--mock", "--out", str(out)],
                    ASTRIA_API_KEY="")
    assert result.exit_code == 0, result.stderr
    rows = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 12 and {r["state"] for r in rows} == {"finished"}
    assert list(rows[0]["coords"]) == ["seed", "cfg_scale"]
    assert list(rows[-1]["coords"]) == ["light", "steps"]
    assert sum(len(r["images"]) for r in rows) == 15
    assert all((out / img).is_file() for r in rows for img in r["images"])
    assert (out / "grids" / "portrait.png").is_file()
    assert (out / "grids" / "light_study.png").is_file()
    html = (out / "index.html").read_text()
    assert html.index(">seed<") < html.index(">cfg_scale<")
