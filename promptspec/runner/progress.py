"""Progress of a run on standard error: a rich display on a terminal, plain lines elsewhere.

Plain mode (not a terminal, or under pre-commit) prints a status line at most once a second
and one line per failed request; both end with the closing summary.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

__all__ = ["Counts", "Progress", "make_progress", "summary_line"]


@dataclass(slots=True)
class Counts:
    total: int = 0
    created: int = 0
    finished: int = 0
    failed: int = 0
    retries: int = 0
    images: int = 0
    cost_mc: int = 0
    started: float = field(default_factory=time.monotonic)


def summary_line(c: Counts) -> str:
    elapsed = time.monotonic() - c.started
    cost = f", cost {c.cost_mc} mc" if c.cost_mc else ""
    return (
        f"Done: {c.total} requests: {c.created} created, {c.finished} finished, "
        f"{c.failed} failed, {c.retries} retries; {c.images} images{cost}; {elapsed:.1f}s."
    )


class Progress:
    """Plain-line progress; the base of the rich display."""

    def __init__(self, stream: TextIO, total: int, wait: bool) -> None:
        self.stream = stream
        self.counts = Counts(total=total)
        self.wait = wait
        self._last = 0.0

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        pass

    def line(self, text: str) -> None:
        """A message that must be seen (a failure, a refusal)."""
        print(text, file=self.stream, flush=True)

    def created(self, n: int = 1) -> None:
        self.counts.created += n
        self.update()

    def finished(self, images: int, cost_mc: int | None) -> None:
        self.counts.finished += 1
        self.counts.images += images
        self.counts.cost_mc += cost_mc or 0
        self.update()

    def failed(self, request_id: str, prompt: str, error: str) -> None:
        self.counts.failed += 1
        self.line(f"failed: {prompt} {request_id}: {error}")
        self.update()

    def retried(self, n: int = 1) -> None:
        self.counts.retries += n
        self.update()

    def status(self) -> str:
        c = self.counts
        done = f", {c.finished} finished" if self.wait else ""
        return f"{c.created}/{c.total} created{done}, {c.failed} failed, {c.retries} retries"

    def update(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last >= 1.0:
            self._last = now
            print(self.status(), file=self.stream, flush=True)


class RichProgress(Progress):
    """A live rich display: one bar for creates, one for finished prompts."""

    def __init__(self, stream: TextIO, total: int, wait: bool) -> None:
        super().__init__(stream, total, wait)
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bars

        self._bars: Any = Bars(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[note]}"), TimeElapsedColumn(),
            console=Console(file=stream), transient=False,
        )
        self._create = self._bars.add_task("created", total=total, note="")
        self._finish = self._bars.add_task("finished", total=total, note="") if wait else None
        self._bars.start()

    def close(self) -> None:
        self.update(force=True)
        self._bars.stop()

    def line(self, text: str) -> None:
        self._bars.console.print(text, markup=False, highlight=False)

    def update(self, force: bool = False) -> None:
        c = self.counts
        note = f"{c.failed} failed, {c.retries} retries"
        self._bars.update(self._create, completed=c.created, note=note)
        if self._finish is not None:
            self._bars.update(self._finish, completed=c.finished, note=f"{c.images} images")


def make_progress(total: int, wait: bool, stream: TextIO | None = None) -> Progress:
    """Rich on a terminal (and not under pre-commit), plain lines otherwise."""
    stream = stream or sys.stderr
    interactive = stream.isatty() and not os.environ.get("PRE_COMMIT")
    return RichProgress(stream, total, wait) if interactive else Progress(stream, total, wait)
