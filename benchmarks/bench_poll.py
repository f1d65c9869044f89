"""Polling requests per finished prompt of `promptspec run` on a sweep whose images are ready
15 s after each create (the emulator's `--latency 15`), counted by the server.

The runner runs as a user runs it (a subprocess, default `PROMPTSPEC_POLL_START`); the
emulator runs in this process and counts every request it sees. Polls are what is left
after the creates, the image downloads and the start-up check: prompt lists and single
prompt GETs. Target: at most 0.05 per finished prompt (one poll per 20 prompts).

    .venv/bin/python benchmarks/bench_poll.py [--requests 200] [--latency 15]
                                              [--python OTHER_PYTHON ...]

`--python` adds runs with other interpreters (another checkout's virtualenv, say), for a
before/after comparison in one sitting.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from promptspec.emulator import EmulatorConfig, start_emulator

SPEC = 'tune 1\nprompt p {\n  text = "a fox {{ seed }}"\n  sweep {\n    seed = 1..%d\n  }\n}\n'


def measure(python: str, n: int, latency: float) -> tuple[int, int, float]:
    """(polls, finished prompts, seconds) of one run."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "pyproject.toml").write_text("")
        spec = folder / "bench.pspec"
        spec.write_text(SPEC % n)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROMPTSPEC_")}
        env["ASTRIA_API_KEY"] = "bench"
        with start_emulator(EmulatorConfig(latency=latency)) as emu:
            start = time.perf_counter()
            done = subprocess.run(
                [python, "-m", "promptspec", "run", str(spec), "--yes", "--base-url", emu.url,
                 "--out", str(folder / "out"), "--max-requests", str(n)],
                capture_output=True, env=env, text=True,
                cwd=folder,  # not this checkout: `-m promptspec` finds the interpreter's own
            )
            elapsed = time.perf_counter() - start
            if done.returncode != 0:
                sys.exit(f"run exited {done.returncode}:\n{done.stderr[-2000:]}")
            seen, creates = emu.state.requests_seen, emu.state.create_count
        rows = [json.loads(x) for x in (folder / "out" / "results.jsonl").read_text().splitlines()]
        finished = sum(1 for r in rows if r["state"] == "finished")
        images = sum(len(r["images"]) for r in rows)
        return seen - creates - images - 1, finished, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--latency", type=float, default=15.0)
    parser.add_argument("--python", nargs="*", default=[], help="other interpreters to compare")
    args = parser.parse_args()
    print(f"{args.requests} requests, images ready {args.latency:g} s after each create")
    print(f"{'python':<40}  {'polls':>6}  {'finished':>8}  {'polls/finished':>14}  {'run s':>6}")
    for python in [sys.executable, *args.python]:
        polls, finished, elapsed = measure(python, args.requests, args.latency)
        ratio = polls / finished if finished else float("inf")
        print(f"{python[-40:]:<40}  {polls:>6}  {finished:>8}  {ratio:>14.3f}  {elapsed:>6.1f}",
              flush=True)


if __name__ == "__main__":
    main()
