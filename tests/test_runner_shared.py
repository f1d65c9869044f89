"""Many runners, one sweep: a shared PostgreSQL ledger (runner processes with faults and a
SIGKILL), shards merged by `sheet`, and the spending budget."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from promptspec import api
from promptspec.cli import cli
from promptspec.emulator import EmulatorConfig, fields_key, start_emulator
from promptspec.runner.admission import in_shard
from promptspec.runner.plan import make_plan
from promptspec.runner.session import RunOptions, execute

KEY = "sk-shared-DISTINCT-KEY-31c7"
# small images (64 px) keep the emulator's drawing and the contact sheets cheap
SPEC = ('tune 1\nprompt p {\n  text = "a fox {{ seed }}"\n  w = 64\n  h = 64\n'
        '  sweep {\n    seed = 1..%d\n  }\n}\n')


def project(tmp_path: Path, n: int) -> Path:
    (tmp_path / "pyproject.toml").write_text("")
    spec = tmp_path / "demo.pspec"
    spec.write_text(SPEC % n)
    return spec


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ASTRIA_", "PROMPTSPEC_"))}
    base.update({"ASTRIA_API_KEY": KEY, "PROMPTSPEC_BACKOFF_BASE": "0.01",
                 "PROMPTSPEC_POLL_START": "0.1", "PROMPTSPEC_LEASE": "2",
                 "PROMPTSPEC_SETTLE": "0.3"})
    base.update(extra)
    return base


def results(out: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]


def assert_complete(out: Path, n: int) -> None:
    rows = results(out)
    assert len(rows) == n and {r["state"] for r in rows} == {"finished"}
    assert all(r["images"] and all((out / p).is_file() for p in r["images"]) for r in rows)
    assert (out / "index.html").is_file() and (out / "grids" / "p.png").is_file()


def test_three_runners_share_one_ledger_and_survive_a_sigkill(tmp_path: Path,
                                                             postgres_url: str) -> None:
    spec = project(tmp_path, 60)
    params = [r.params for r in api.expand([str(spec)])]
    config = EmulatorConfig(latency=0.1, fail_rate=0.15, drop_rate=0.10, seed=15)
    with start_emulator(config) as emu:
        outs = [tmp_path / f"out{i}" for i in range(3)]
        procs = [subprocess.Popen(
            [sys.executable, "-m", "promptspec", "run", str(spec), "--base-url", emu.url,
             "--out", str(out), "--ledger", postgres_url, "--yes", "--concurrency", "8"],
            env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE) for out in outs]
        deadline = time.monotonic() + 60
        while emu.state.create_count < 20:
            assert time.monotonic() < deadline and procs[0].poll() is None
            time.sleep(0.01)
        procs[0].kill()
        procs[0].communicate(timeout=10)
        assert procs[0].returncode < 0
        for proc in procs[1:]:
            _, stderr = proc.communicate(timeout=180)
            assert proc.returncode == 0, stderr.decode()[-3000:]
            assert KEY.encode() not in stderr
        counts = emu.creates_by_fields()
        assert emu.state.create_count == 60
        assert all(counts[fields_key(p)] == 1 for p in params)
        faults = emu.state.faults
        assert faults["drop"] > 0 and faults["fail_500"] + faults["fail_503"] > 0
    for out in outs[1:]:
        assert_complete(out, 60)
        assert not (out / "run.sqlite").exists()
    assert results(outs[1]) == results(outs[2])


def invoke(args: list[str]) -> Any:
    e = env(PROMPTSPEC_POLL_START="0.05")
    for k in [k for k in os.environ if k.startswith(("ASTRIA_", "PROMPTSPEC_"))]:
        e.setdefault(k, "")
    return CliRunner().invoke(cli, args, env=e, catch_exceptions=False)


def test_shards_partition_the_sweep_and_sheet_merges_them(tmp_path: Path) -> None:
    spec = project(tmp_path, 30)
    ids = [r.id for r in api.expand([str(spec)])]
    with start_emulator(EmulatorConfig(latency=0.05, seed=4)) as emu:
        outs = []
        for i in (1, 2, 3):
            out = tmp_path / f"shard{i}"
            result = invoke(["run", str(spec), "--base-url", emu.url, "--out", str(out),
                             "--shard", f"{i}/3"])
            assert result.exit_code == 0, result.stderr
            outs.append(out)
            assert all(in_shard(r["id"], (i, 3)) for r in results(out))
        assert emu.state.create_count == 30
    seen = [r["id"] for out in outs for r in results(out)]
    assert sorted(seen) == sorted(ids)  # every request once: a partition
    merged = tmp_path / "merged"
    result = invoke(["sheet", *map(str, outs), "--out", str(merged)])
    assert result.exit_code == 0, result.stderr
    assert_complete(merged, 30)
    assert [r["id"] for r in results(merged)] == ids  # expansion order again
    # an out that is not a run folder is refused with one line
    result = invoke(["sheet", str(outs[0]), str(tmp_path / "nothing"), "--out", str(merged)])
    assert result.exit_code == 2 and "nothing: no results.jsonl" in result.stderr


def test_shard_and_limits_are_checked_before_sending(tmp_path: Path) -> None:
    spec = project(tmp_path, 12)
    with start_emulator(EmulatorConfig(latency=0.05)) as emu:
        for bad in ("0/3", "4/3", "x"):
            result = invoke(["run", str(spec), "--base-url", emu.url, "--shard", bad])
            assert result.exit_code == 2 and "--shard" in result.stderr
        result = invoke(["run", str(spec), "--base-url", emu.url, "--max-images", "11"])
        assert result.exit_code == 2 and "more than --max-images 11" in result.stderr
        out = tmp_path / "out"
        result = invoke(["run", str(spec), "--base-url", emu.url, "--out", str(out),
                         "--max-requests", "4", "--shard", "1/3"])
        assert result.exit_code == 0, result.stderr
        done = emu.state.create_count
        assert 0 < done <= 4
        # what the ledger holds does not count again: the whole sweep is 12 - done away
        result = invoke(["run", str(spec), "--base-url", emu.url, "--out", str(out),
                         "--max-images", str(12 - done), "--dry-run"])
        assert result.exit_code == 0, result.stderr
        assert f"still to create: {12 - done} requests" in result.stderr
        assert emu.state.create_count == done


def _reqs(n: int) -> list[Any]:
    from promptspec.request import Request, request_id

    out = []
    for i in range(n):
        params: dict[str, Any] = {"text": f"a budget fox {i}", "num_images": 1 + i % 2}
        out.append(Request(request_id(1, params), "s.pspec", "p", i, {"i": i}, 1, params, {}))
    return out


@pytest.mark.parametrize("per_image", [None, 10.0])
def test_cost_budget_stops_creating_and_a_larger_one_resumes(tmp_path: Path,
                                                            per_image: float | None) -> None:
    reqs = _reqs(12)  # 18 images at 10 mc each: 180 mc
    out = tmp_path / "out"

    def run(budget: int) -> tuple[int, str]:
        opts = RunOptions(out_dir=out, base_url=emu.url, key=KEY, concurrency=4,
                          backoff_base=0.01, poll_start=0.02, poll_cap=0.1,
                          max_cost_mc=budget, cost_per_image_mc=per_image)
        stream = io.StringIO()
        return execute(make_plan(reqs, 100), opts, stream), stream.getvalue()

    with start_emulator(EmulatorConfig(latency=0.05, seed=2)) as emu:
        code, err = run(95)
        assert code == 1 and "the budget of 95 mc was reached" in err
        spent = sum(r["cost_mc"] or 0 for r in results(out) if r["state"] == "finished")
        created = emu.state.create_count
        assert 0 < spent <= 95 and created < 12
        assert {r["state"] for r in results(out)} == {"finished", "planned"}
        code, err = run(1000)
        assert code == 0, err
        assert emu.state.create_count == 12
        assert sum(r["cost_mc"] for r in results(out)) == 180
