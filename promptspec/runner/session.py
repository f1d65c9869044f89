"""One run, from an accepted plan to the run folder: ledger, executor, results, contact sheet.

`execute(plan, options)` returns the exit code (1 when any request failed, else 0) and
raises `RunError` (exit 2) when the run cannot go on: unreachable server at start, a
refused key, an upload outside the project root.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from promptspec.paths import atomic_write
from promptspec.runner.ledger import Budget, Ledger, Row
from promptspec.runner.ledgers import open_ledger
from promptspec.runner.out_lock import hold_out, prepared_out, storage_problem
from promptspec.runner.plan import Plan, upload_files
from promptspec.runner.progress import Progress, make_progress, summary_line

__all__ = ["DEFAULT_CONCURRENCY", "RunOptions", "execute", "write_results"]

DEFAULT_CONCURRENCY = 32
"""httpx's pool costs CPU per request that grows with its connections; 32 is where a bare
client loop peaks against a server answering in 50 ms (see benchmarks/bench_run.py)."""


@dataclass(frozen=True, slots=True)
class RunOptions:
    out_dir: Path
    base_url: str
    key: str = field(repr=False)  # never shown
    concurrency: int = DEFAULT_CONCURRENCY
    rate: float | None = None
    wait: bool = True
    backoff_base: float = 0.5
    poll_start: float = 5.0
    poll_cap: float = 30.0
    ledger: str | None = field(default=None, repr=False)  # may hold a password
    """A `postgresql://` URL of a shared ledger; None: `OUT/run.sqlite`."""
    lease: float = 60.0
    settle: float = 5.0
    """Seconds after a create was sent within which the server may still be making it: a
    row an earlier run left in flight is reconciled only once they have passed."""
    max_cost_mc: int | None = None
    cost_per_image_mc: float | None = None
    retry_failed: bool = False

    @property
    def budget(self) -> Budget | None:
        if self.max_cost_mc is None:
            return None
        return Budget(self.max_cost_mc, self.cost_per_image_mc)
    transport: Any = None
    """An `httpx.AsyncBaseTransport` to use instead of the network (tests)."""


def execute(plan: Plan, options: RunOptions, stream: TextIO | None = None) -> int:
    """Run the plan's requests; the exit code (0, or 1 when any request did not succeed or
    the budget stopped the run).

    One run per OUT: the folder is locked for the whole run. A folder that cannot be
    written (a full disk, a read-only folder, a file in its place) stops the run with one
    line (RunError, exit 2); every file is written whole, so the ledger and results stay
    intact and no temporary file is left behind.
    """
    stream = stream or sys.stderr
    files = upload_files(plan.requests)
    out_dir = options.out_dir
    prepared_out(out_dir)
    with hold_out(out_dir):
        try:
            return _execute(plan, options, stream, files)
        except (OSError, sqlite3.OperationalError) as err:  # full, read-only, I/O error
            raise storage_problem(out_dir, err) from None


def _execute(plan: Plan, options: RunOptions, stream: TextIO,
             files: dict[str, dict[str, Path]]) -> int:
    out_dir = options.out_dir
    with open_ledger(options.ledger, out_dir, options.lease) as ledger:
        rows = ledger.plan(plan.requests)
        progress = make_progress(len(rows), options.wait, stream)
        stopped = [False]
        try:
            with progress:
                asyncio.run(_run(options, ledger, progress, files, rows, stopped))
        finally:
            if ledger.shared:
                ledger.refresh(rows)  # what the other runners did: every runner lists all
            write_results(out_dir, rows)
        if options.wait:
            _contact_sheet(out_dir, rows, stream)
        done = ("finished",) if options.wait else ("created", "finished")
        c = progress.counts
        unsent = sum(1 for r in rows if r.state == "planned") if stopped[0] else 0
        c.failed = sum(1 for r in rows if r.state not in done) - unsent
        c.created = sum(1 for r in rows if r.state in ("created", "finished"))
        c.finished = sum(1 for r in rows if r.state == "finished")
        c.images = sum(len(r.images or []) for r in rows if r.state == "finished")
        c.cost_mc = sum(r.cost_mc or 0 for r in rows)
        print(summary_line(c), file=stream, flush=True)
        if stopped[0] and options.budget is not None:
            print(f"promptspec: the budget of {options.budget.max_mc} mc was reached: {unsent} "
                  f"request{'s' * (unsent != 1)} not sent; run again with a larger "
                  "--max-cost-mc to resume", file=stream, flush=True)
        return 1 if c.failed or unsent else 0


async def _run(options: RunOptions, ledger: Ledger, progress: Progress,
               files: dict[str, dict[str, Path]], rows: list[Row], stopped: list[bool]) -> None:
    from promptspec.runner._api import Api, ApiConfig
    from promptspec.runner._wire import Backoff
    from promptspec.runner.executor import Executor

    config = ApiConfig(
        base_url=options.base_url, key=options.key, concurrency=options.concurrency,
        rate=options.rate, backoff=Backoff(base=options.backoff_base),
    )
    api = Api(config, transport=options.transport)
    try:
        executor = Executor(
            api, ledger, options.out_dir, progress, files=files, wait=options.wait,
            poll_start=options.poll_start, poll_cap=options.poll_cap, budget=options.budget,
            retry_failed=options.retry_failed, settle=options.settle,
        )
        try:
            await executor.run(rows)
        finally:
            stopped[0] = executor.budget_reached
    finally:
        progress.counts.retries += api.retries
        await api.aclose()


def write_results(out_dir: Path, rows: list[Row]) -> Path:
    """`OUT/results.jsonl`: one line per request, in expansion order (written whole)."""
    path = out_dir / "results.jsonl"
    atomic_write(path, "".join(json.dumps(row.result(), ensure_ascii=False) + "\n"
                               for row in rows))
    return path


def _contact_sheet(out_dir: Path, rows: list[Row], stream: TextIO) -> None:
    try:
        from promptspec.runner.sheet import write_contact_sheet
    except ImportError:
        print("promptspec: no contact sheet: promptspec.runner.sheet is not available",
              file=stream)
        return
    try:
        write_contact_sheet(out_dir, [r.result() for r in rows])
    except Exception as err:  # the run's results stand even if the sheet cannot be drawn
        print(f"promptspec: could not write the contact sheet: {type(err).__name__}: {err}",
              file=stream)
