"""Waiting: prompts settle (polling by listing) and other runners' claims move (watching).

`Poller` learns pending prompts' states from their tune's prompt list, newest first,
`limit=120`, paging back with `before_id` (by offset from a server that ignores it) no
further than the oldest pending prompt; a single `GET` is kept for a prompt the listing
cannot reach (one it has gone past without seeing). The first poll comes `start`
seconds after a prompt is added (one the listing has not shown for two rounds is asked for
alone too); the interval doubles while nothing settles (and after a
429), up to `cap`, and returns to `start` when something does.

`Watcher` waits, with one ledger query per round, for rows that another runner holds.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from promptspec.runner._api import Api, ApiError
from promptspec.runner.ledger import Ledger, Row
from promptspec.runner.reconcile import Paging, newest_first

__all__ = ["Poller", "Watcher"]


@dataclass(slots=True)
class _Tune:
    tune_id: int
    pending: dict[int, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    interval: float = 0.0
    due: float = 0.0
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    paging: Paging = field(default_factory=Paging)
    missed: dict[int, int] = field(default_factory=dict)
    """Rounds in a row in which a pending prompt was newer than the whole listing."""


def is_settled(obj: dict[str, Any]) -> bool:
    """A prompt is done when its images are there or the API set `user_error`."""
    images = obj.get("images")
    return bool(obj.get("user_error")) or (isinstance(images, list) and bool(images))


class Poller:
    """Shared polling of every pending prompt of a run, one loop per tune."""

    def __init__(self, api: Api, start: float, cap: float) -> None:
        self.api = api
        self.start = start
        self.cap = max(cap, start)
        self._tunes: dict[int, _Tune] = {}

    async def settled(self, row: Row) -> dict[str, Any]:
        """The prompt object of `row` once it has images or a `user_error`."""
        assert row.remote_id is not None
        loop = asyncio.get_running_loop()
        t = self._tunes.get(row.tune_id)
        if t is None:
            t = self._tunes[row.tune_id] = _Tune(row.tune_id, due=loop.time() + self.start)
        fut = t.pending.get(row.remote_id)
        if fut is None:
            fut = t.pending[row.remote_id] = loop.create_future()
        t.interval = self.start
        t.due = min(t.due, loop.time() + self.start) if t.task else loop.time() + self.start
        t.wakeup.set()
        if t.task is None or t.task.done():
            t.task = loop.create_task(self._loop(t))
        return await asyncio.shield(fut)

    def close(self) -> None:
        for t in self._tunes.values():
            if t.task is not None:
                t.task.cancel()

    async def _loop(self, t: _Tune) -> None:
        loop = asyncio.get_running_loop()
        while t.pending:
            while (wait := t.due - loop.time()) > 0:
                t.wakeup.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(t.wakeup.wait(), wait)
            limited = self.api.rate_limited
            try:
                changed = await self._round(t)
            except ApiError as err:
                for fut in t.pending.values():
                    if not fut.done():
                        fut.set_exception(err)
                t.pending.clear()
                break
            if changed and self.api.rate_limited == limited:
                t.interval = self.start
            else:
                t.interval = min(self.cap, t.interval * 2)
            t.due = loop.time() + t.interval

    async def _round(self, t: _Tune) -> bool:
        oldest = min(t.pending)
        changed = False
        seen: set[int] = set()
        top: int | None = None
        async with contextlib.aclosing(newest_first(self.api.list_page, t.tune_id,
                                                    t.paging)) as pages:
            async for page, ids in pages:
                for obj in page:
                    pid = obj.get("id")
                    if isinstance(pid, int) and pid in t.pending:
                        seen.add(pid)
                        changed |= self._settle(t, pid, obj)
                if ids:
                    top = max(ids) if top is None else max(top, *ids)
                if not ids or min(ids) <= oldest:
                    break
        alone = []
        for pid in t.pending:
            if pid in seen:
                continue
            t.missed[pid] = t.missed.get(pid, 0) + 1
            if top is None or pid <= top or t.missed[pid] >= 2:
                alone.append(pid)  # passed over, out of reach, or the listing lags behind
        for pid in alone:
            try:
                obj = await self.api.get_prompt(t.tune_id, pid)
            except ApiError as err:
                if err.status != 404:
                    raise
                gone = ApiError(f"prompt {pid} no longer exists on the server", 404)
                t.pending.pop(pid).set_exception(gone)
                changed = True
                continue
            changed |= self._settle(t, pid, obj)
        return changed

    @staticmethod
    def _settle(t: _Tune, pid: int, obj: dict[str, Any]) -> bool:
        t.missed.pop(pid, None)
        if not is_settled(obj):
            return False
        fut = t.pending.pop(pid)
        if not fut.done():
            fut.set_result(obj)
        return True


class Watcher:
    """Waits until rows held by other runners move on (created, failed, released) or
    their lease lapses; every waiting row is refreshed by one ledger query per round."""

    def __init__(self, ledger: Ledger, interval: float) -> None:
        self.ledger = ledger
        self.interval = interval
        self._waiting: dict[str, tuple[Row, asyncio.Future[None]]] = {}
        self._task: asyncio.Task[None] | None = None

    async def moved(self, row: Row) -> None:
        loop = asyncio.get_running_loop()
        entry = self._waiting.get(row.id)
        if entry is None:
            entry = self._waiting[row.id] = (row, loop.create_future())
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._loop())
        await asyncio.shield(entry[1])

    async def pause(self) -> None:
        await asyncio.sleep(self.interval)

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _loop(self) -> None:
        while self._waiting:
            await asyncio.sleep(self.interval)
            rows = [row for row, _ in self._waiting.values()]
            self.ledger.refresh(rows)
            for row in rows:
                if row.state != "inflight" or not row.held:
                    _, fut = self._waiting.pop(row.id)
                    if not fut.done():
                        fut.set_result(None)
