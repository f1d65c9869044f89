"""Requests per second of `promptspec run --no-wait` against the emulator, next to a bare
`httpx.AsyncClient` loop doing the same multipart creates at the same concurrency.

The emulator answers each create after `create_delay` (50 ms) and runs in this process;
both clients run as subprocesses. The runner's time is the whole command (start-up,
expansion, lint, ledger included); the bare loop's is its request loop alone: the ceiling.
Wall-clock rates on a shared 2-core machine are noisy, so each figure is the best of
`--repeat` interleaved runs, printed beside each client's CPU time per request.

    .venv/bin/python benchmarks/bench_run.py [--requests 2000] [--concurrency 8 32 128]
                                             [--repeat 2] [--baseline OTHER_PYTHON]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from promptspec.emulator import EmulatorConfig, start_emulator

BARE = r'''
import asyncio, sys, time
import httpx

async def main(url: str, n: int, concurrency: int) -> None:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    transport = httpx.AsyncHTTPTransport(limits=limits)
    timeout = httpx.Timeout(connect=10, read=60, write=60, pool=None)
    headers = {"Authorization": "Bearer bench"}
    todo = iter(range(1, n + 1))
    async with httpx.AsyncClient(transport=transport, timeout=timeout) as client:
        async def worker() -> None:
            for i in todo:
                files = [("prompt[text]", (None, f"a fox {i}")), ("prompt[seed]", (None, str(i)))]
                r = await client.post(f"{url}/tunes/1/prompts", files=files, headers=headers)
                assert r.status_code == 201, r.status_code
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        print(time.perf_counter() - start)

asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
'''

SPEC = 'tune 1\nprompt p {\n  text = "a fox {{ seed }}"\n  sweep {\n    seed = 1..%d\n  }\n}\n'


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bare(n: int, concurrency: int) -> tuple[float, float]:
    """(requests per second, client CPU milliseconds per request)."""
    with start_emulator(EmulatorConfig(create_delay=0.05)) as emu:
        cpu = _cpu()
        out = subprocess.run([sys.executable, "-c", BARE, emu.url, str(n), str(concurrency)],
                             check=True, capture_output=True, text=True)
        cpu = _cpu() - cpu
        assert emu.state.create_count == n
    return n / float(out.stdout.strip()), 1000 * cpu / n


def runner(n: int, concurrency: int, folder: Path,
           python: str = sys.executable) -> tuple[float, float]:
    spec = folder / "bench.pspec"
    spec.write_text(SPEC % n)
    (folder / "pyproject.toml").write_text("")
    out = Path(tempfile.mkdtemp(dir=folder))  # a fresh run folder: nothing to resume
    env = {**os.environ, "ASTRIA_API_KEY": "bench"}
    with start_emulator(EmulatorConfig(create_delay=0.05)) as emu:
        start, cpu = time.perf_counter(), _cpu()
        done = subprocess.run(
            [python, "-m", "promptspec", "run", str(spec), "--no-wait", "--yes",
             "--base-url", emu.url, "--out", str(out), "--concurrency", str(concurrency),
             "--max-requests", str(n)],
            capture_output=True, env=env, text=True,
            cwd=folder,  # not this checkout: `-m promptspec` must find the interpreter's own
        )
        if done.returncode != 0:
            sys.exit(f"run exited {done.returncode}:\n{done.stderr[-2000:]}")
        elapsed, cpu = time.perf_counter() - start, _cpu() - cpu
        assert emu.state.create_count == n
    return n / elapsed, 1000 * cpu / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 32, 128])
    parser.add_argument("--repeat", type=int, default=2, help="best of this many, interleaved")
    parser.add_argument("--baseline", metavar="PYTHON",
                        help="also time `run` with this interpreter (another checkout's venv)")
    args = parser.parse_args()
    print(f"{args.requests} creates, server answers after 50 ms")
    extra = f"  {'baseline req/s':>14}" if args.baseline else ""
    print(f"{'concurrency':>11}  {'bare req/s':>10}  {'run req/s':>9}  {'ratio':>6}"
          f"  {'bare cpu ms/req':>15}  {'run cpu ms/req':>14}{extra}")
    with tempfile.TemporaryDirectory() as tmp:
        for c in args.concurrency:
            ceiling = ours = theirs = 0.0
            cpu_bare = cpu_ours = float("inf")
            for _ in range(args.repeat):  # interleaved, so that load on the machine hits both
                rate, cpu = bare(args.requests, c)
                ceiling, cpu_bare = max(ceiling, rate), min(cpu_bare, cpu)
                rate, cpu = runner(args.requests, c, Path(tmp))
                ours, cpu_ours = max(ours, rate), min(cpu_ours, cpu)
                if args.baseline:
                    theirs = max(theirs, runner(args.requests, c, Path(tmp), args.baseline)[0])
            extra = f"  {theirs:>14.1f}" if args.baseline else ""
            print(f"{c:>11}  {ceiling:>10.1f}  {ours:>9.1f}  {ours / ceiling:>6.2f}"
                  f"  {cpu_bare:>15.2f}  {cpu_ours:>14.2f}{extra}", flush=True)


if __name__ == "__main__":
    main()
