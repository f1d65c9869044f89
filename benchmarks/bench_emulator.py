"""Creates per second the emulator serves at a given concurrency (no latency, no faults).

Prints the median of several runs of N multipart creates sent by an httpx.AsyncClient,
for the emulator in this process's daemon thread (as `run --mock` uses it; client and
server share one interpreter) and as a separate `promptspec mock-server` process.

    .venv/bin/python benchmarks/bench_emulator.py [--creates 2000] [--concurrency 32] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import subprocess
import sys
import time

import httpx

from promptspec.emulator import start_emulator

KEY = {"Authorization": "Bearer bench"}


async def _creates(url: str, total: int, concurrency: int) -> float:
    """Send `total` creates, `concurrency` at a time; returns creates per second."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)

    async with httpx.AsyncClient(headers=KEY, limits=limits, timeout=30) as client:

        async def worker() -> None:
            while True:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                r = await client.post(
                    f"{url}/tunes/1/prompts",
                    files={"prompt[text]": (None, f"bench {i}"), "prompt[seed]": (None, str(i)),
                           "prompt[cfg_scale]": (None, "7.5")},
                )
                if r.status_code != 201:
                    raise SystemExit(f"unexpected {r.status_code}: {r.text}")

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return total / (time.perf_counter() - start)


def _median(url: str, creates: int, concurrency: int, runs: int) -> tuple[float, list[float]]:
    figures = [asyncio.run(_creates(url, creates, concurrency)) for _ in range(runs)]
    return statistics.median(figures), figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    shape = f"{args.creates} creates, concurrency {args.concurrency}, median of {args.runs}"

    with start_emulator() as emu:
        median, figures = _median(emu.url, args.creates, args.concurrency, args.runs)
    runs = ", ".join(f"{f:.0f}" for f in figures)
    print(f"in-thread emulator:  {median:7.0f} creates/s  ({shape}; runs: {runs})")

    proc = subprocess.Popen([sys.executable, "-m", "promptspec", "mock-server", "--port", "0"],
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        match = re.search(r"listening on (\S+)", proc.stderr.readline())
        if match is None:
            raise SystemExit("mock-server did not start")
        median, figures = _median(match[1], args.creates, args.concurrency, args.runs)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    runs = ", ".join(f"{f:.0f}" for f in figures)
    print(f"mock-server process: {median:7.0f} creates/s  ({shape}; runs: {runs})")


if __name__ == "__main__":
    main()
