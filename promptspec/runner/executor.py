"""The executor: drives every ledger row to created (and, when waiting, finished) exactly once.

Per request: claim it in the ledger (marked inflight and committed), then POST. A 201
records the remote id; 429/500/503 are retried with backoff; a create whose outcome is
unknown (timeout after sending, dropped connection, 502, 504) is reconciled with the tune's
prompt list before it is sent again; 422/400 fail the request with the API's message;
401/403 stop the run. Rows found inflight at start (a crash, or a dead runner whose lease
lapsed) are reconciled before anything is sent. A row another runner holds is watched until
it moves on. Failed rows stay failed unless `retry_failed`. With a budget, each claim is
decided against the sweep's spending; once refused, nothing more is created.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx

from promptspec.runner._api import NOT_SENT, UNKNOWN, Api, ApiError
from promptspec.runner._wire import api_message, classify, describe, form_fields, retry_after
from promptspec.runner.download import download_images
from promptspec.runner.ledger import Budget, Claim, Ledger, Row
from promptspec.runner.poll import Poller, Watcher
from promptspec.runner.progress import Progress
from promptspec.runner.reconcile import Reconciler

__all__ = ["RATE_LIMITED_ATTEMPTS", "Executor"]

RATE_LIMITED_ATTEMPTS = 100


class Executor:
    """One run's work over the ledger rows, on one event loop."""

    def __init__(
        self,
        api: Api,
        ledger: Ledger,
        out_dir: Path,
        progress: Progress,
        files: dict[str, dict[str, Path]] | None = None,
        wait: bool = True,
        poll_start: float = 5.0,
        poll_cap: float = 30.0,
        budget: Budget | None = None,
        retry_failed: bool = False,
        settle: float = 5.0,
    ) -> None:
        self.api = api
        self.ledger = ledger
        self.out_dir = out_dir
        self.progress = progress
        self.files = files or {}
        self.wait = wait
        self.budget = budget
        self.retry_failed = retry_failed
        self.settle = settle
        self.budget_reached = False
        self.sweep: list[Row] = []
        self.poller = Poller(api, poll_start, poll_cap)
        self.watcher = Watcher(ledger, min(1.0, poll_start))
        self.reconciler = Reconciler(
            api.list_page, ledger.claimed_remote_ids(),
            ledger.claimed_remote_ids if ledger.shared else None,
        )

    async def run(self, rows: list[Row]) -> None:
        if not rows:
            return
        self.sweep = rows
        await self.api.preflight(rows[0].tune_id)
        try:
            await self._recover(rows)
            async with asyncio.TaskGroup() as tg:
                for row in rows:
                    tg.create_task(self._drive(row))
        except BaseExceptionGroup as group:
            raise _first(group) from None
        finally:
            self.poller.close()
            self.watcher.close()

    # -- start: what a previous run (or a dead runner) left behind ------------------------

    async def _recover(self, rows: list[Row]) -> None:
        """Reconcile rows left inflight; with `retry_failed`, plan failed rows again."""
        async with asyncio.TaskGroup() as tg:
            for row in rows:
                if row.state == "inflight" and not row.held and self.ledger.take_over(row):
                    tg.create_task(self._recover_one(row))
        for row in rows:
            if row.state == "failed" and self.retry_failed:
                self.ledger.retry_failed(row)
            if row.state in ("created", "finished"):
                self.progress.counts.created += 1
        self.progress.update(force=True)

    async def _recover_one(self, row: Row) -> None:
        try:
            await self._reconcile_left(row, "left in flight by an earlier run")
        except ApiError as err:
            self._fail(row, f"cannot reconcile with the server: {err}")

    async def _reconcile_left(self, row: Row, why: str) -> bool:
        """`_reconcile` for a row that a dead run left in flight, once `settle` seconds have
        passed since it was sent: a create sent moments before the run died may still be in
        the making on the server, and a listing before then would miss it (the request would
        be sent twice)."""
        wait = (row.inflight_at or 0.0) + self.settle - time.time()
        if wait > 0:
            await asyncio.sleep(min(wait, self.settle))
        return await self._reconcile(row, why)

    async def _reconcile(self, row: Row, why: str) -> bool:
        """True when the server holds the row's prompt (now recorded as created)."""
        obj = await self.reconciler.find(row)
        if obj is None:
            self.ledger.mark_planned(row, why)
            return False
        self.ledger.mark_created(row, int(obj["id"]), _cost(obj))
        return True

    # -- one request ---------------------------------------------------------------------

    async def _drive(self, row: Row) -> None:
        try:
            await self._to_created(row)
            if not self.wait:
                return
            if row.state == "created" or (row.state == "finished" and not self._complete(row)):
                await self._finish(row)
        except ApiError as err:
            self._fail(row, str(err))

    async def _to_created(self, row: Row) -> None:
        """Create the row, or see it created by whoever holds it; return once it is
        created, finished or failed (or left planned: the budget is reached)."""
        while True:
            if row.state == "planned":
                if self.budget_reached:
                    return
                verdict = await self._create(row)
                if verdict == "budget":
                    self.budget_reached = True
                    return
                if verdict == "wait":
                    await self.watcher.pause()
                    self.ledger.refresh([row])
            elif row.state == "inflight":
                if row.held:
                    if not self.wait:
                        return  # its holder creates it
                    await self.watcher.moved(row)
                elif self.ledger.take_over(row):
                    try:
                        await self._reconcile_left(row, "left in flight by a runner that stopped")
                    except ApiError as err:
                        self._fail(row, f"cannot reconcile with the server: {err}")
                        return
            else:
                return

    def _fail(self, row: Row, error: str) -> None:
        error = self.api.redact(error)
        if row.state == "inflight":
            self.ledger.note_error(row, error)  # outcome unknown: the next run reconciles it
        elif row.remote_id is not None:
            self.ledger.note_error(row, error)  # it exists: the next run polls it again
        else:
            self.ledger.mark_failed(row, error)
        self.progress.failed(row.id, row.prompt, error)

    async def _create(self, row: Row) -> Claim | None:
        """Claim and send the row until it is created or failed; the claim's verdict when
        the row cannot be claimed (another runner holds it, or the budget says no)."""
        api, backoff = self.api, self.api.config.backoff
        fields = form_fields(row.params)
        files = self.files.get(row.id, {})
        attempt = limited = 0
        while True:
            attempt += 1
            after: float | None = None
            await api.bucket.take()
            resp_status = 0
            async with api.slots:
                verdict = self.ledger.claim(row, self.budget, self.sweep)
                if verdict != "ok":
                    return verdict
                try:
                    resp = await api.post_create(row.tune_id, fields, files)
                    resp_status = resp.status_code
                    outcome = classify(resp_status)
                    if outcome == "created":
                        obj = _json_object(resp)
                        if obj is None:
                            outcome, problem = "unknown", "the API's 201 held no prompt id"
                        else:
                            self.reconciler.claimed.add(int(obj["id"]))
                            self.ledger.mark_created(row, int(obj["id"]), _cost(obj))
                            _note_images(self.ledger, row, obj)
                            outcome = "created"
                    else:
                        problem = api_message(resp.status_code, resp.content)
                        after = retry_after(resp.headers.get("retry-after"))
                except NOT_SENT as err:
                    outcome, problem = "retry", describe(err)
                except UNKNOWN as err:
                    outcome, problem = "unknown", describe(err)
            if outcome == "created":  # progress is drawn once the slot is free
                self.progress.created()
                return None
            problem = api.redact(problem)
            if outcome == "auth":
                self.ledger.mark_planned(row, problem)
                raise api.auth_error(resp_status)
            if outcome in ("invalid", "gone"):
                self.ledger.mark_failed(row, problem)
                self.progress.failed(row.id, row.prompt, problem)
                return None
            if outcome == "unknown":
                # the API documents 502/504 as "probably processed anyway": let it settle
                await asyncio.sleep(backoff.base)
                if await self._reconcile(row, problem):
                    self.progress.created()
                    return None
            else:
                self.ledger.mark_planned(row, problem)
            if resp_status == 429:
                # a rate limit is a signal to slow down, not a failure: it has its own,
                # larger allowance, and pauses every create for the time the server asks
                attempt -= 1
                limited += 1
                if after:
                    api.bucket.pause(after)
            if attempt >= backoff.attempts or limited >= RATE_LIMITED_ATTEMPTS:
                tries = attempt + limited
                self.ledger.mark_failed(row, f"gave up after {tries} attempts: {problem}")
                self.progress.failed(row.id, row.prompt, row.error or problem)
                return None
            self.progress.retried()
            await asyncio.sleep(backoff.delay(limited if resp_status == 429 else attempt, after))

    # -- waiting and downloading -----------------------------------------------------------

    def _complete(self, row: Row) -> bool:
        return row.images is not None and all((self.out_dir / p).is_file() for p in row.images)

    async def _finish(self, row: Row) -> None:
        assert row.remote_id is not None
        if row.image_urls is None:
            obj = await self.poller.settled(row)
            if obj.get("user_error"):
                self.ledger.mark_failed(row, self.api.redact(str(obj["user_error"])), _cost(obj))
                self.progress.failed(row.id, row.prompt, row.error or "")
                return
            _note_images(self.ledger, row, obj)
        assert row.image_urls is not None
        images = await download_images(
            self.api.download, row.image_urls, self.out_dir, row.prompt, row.id
        )
        self.ledger.mark_finished(row, images)
        self.progress.finished(len(images), row.cost_mc)


def _first(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first real error of a task group (a RunError stops the run with one line)."""
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            return _first(exc)
        return exc
    return group


def _json_object(resp: httpx.Response) -> dict[str, Any] | None:
    try:
        obj = resp.json()
    except ValueError:
        return None
    if isinstance(obj, dict) and isinstance(obj.get("id"), int):
        return obj
    return None


def _cost(obj: dict[str, Any]) -> int | None:
    cost = obj.get("cost_mc")
    return int(cost) if isinstance(cost, int | float) and not isinstance(cost, bool) else None


def _note_images(ledger: Ledger, row: Row, obj: dict[str, Any]) -> bool:
    images = obj.get("images")
    urls = [u if isinstance(u, str) else str(u.get("url", "")) if isinstance(u, dict) else ""
            for u in images] if isinstance(images, list) else []
    urls = [u for u in urls if u]
    if not urls:
        return False
    ledger.set_image_urls(row, urls, _cost(obj))
    return True

