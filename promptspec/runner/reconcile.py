"""Reconciliation: find out whether a create whose outcome is unknown reached the server.

The tune's prompts are listed newest first, paging back with `before_id`, until the entries
are older than the request's in-flight mark minus a clock margin; each prompt object is
matched against the request's fields. Timestamps only bound the paging; the fields decide.
A remote id already held by a ledger row is never claimed again.

Listings are shared: requests of one tune waiting to be reconciled are answered by one
listing that starts after all of them were sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from promptspec.runner.ledger import Row

__all__ = ["CLOCK_MARGIN", "PAGE", "Paging", "Reconciler", "matches", "newest_first", "pick",
           "same_value"]

CLOCK_MARGIN = 60.0
PAGE = 120

# Fields of a prompt object that are the server's own, never request parameters.
_SERVER_FIELDS = frozenset({
    "id", "tune_id", "created_at", "updated_at", "trained_at", "started_training_at", "url",
    "images", "user_error", "cost_mc", "status",
})

ListPage = Callable[[int, int, int, int | None], Awaitable[list[dict[str, Any]]]]
"""(tune_id, offset, limit, before_id) -> one page of the tune's prompts, newest first."""


def _as_float(v: object) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return None
    return None


def _as_bool(v: object) -> bool | None:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ("true", "false", "1", "0"):
        return v.strip().lower() in ("true", "1")
    if isinstance(v, int) and v in (0, 1):
        return bool(v)
    return None


def same_value(mine: object, theirs: object) -> bool:
    """Whether the server's echo of a field equals what we sent (7 == 7.0, True == "true")."""
    if isinstance(mine, bool):
        return _as_bool(theirs) is mine
    if isinstance(mine, int | float):
        f = _as_float(theirs)
        return f is not None and math.isclose(float(mine), f, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(mine, str):
        if isinstance(theirs, str):
            return mine.strip() == theirs.strip()
        if isinstance(theirs, bool | int | float):
            return same_value(theirs, mine)
        return False
    return mine == theirs


def matches(params: Mapping[str, Any], obj: Mapping[str, Any]) -> bool:
    """Every parameter we sent that the object echoes must be equal; files are not echoed
    as sent and are not compared. `text` must be echoed."""
    if "text" not in obj:
        return False
    for name, mine in params.items():
        if mine is None or isinstance(mine, dict) or name not in obj:
            continue
        if not same_value(mine, obj[name]):
            return False
    return True


def _extras(params: Mapping[str, Any], obj: Mapping[str, Any]) -> int:
    """Fields the object sets that the request did not: a looser match ranks lower."""
    return sum(
        1 for k, v in obj.items()
        if k not in _SERVER_FIELDS and k not in params and v not in (None, "", False, [])
    )


def pick(row: Row, candidates: list[dict[str, Any]], claimed: set[int]) -> dict[str, Any] | None:
    """The unclaimed prompt object that best matches the row (fewest extra fields, oldest)."""
    best: tuple[int, int] | None = None
    found: dict[str, Any] | None = None
    for pos, obj in enumerate(candidates):
        rid = obj.get("id")
        if not isinstance(rid, int) or rid in claimed:
            continue
        if obj.get("tune_id") not in (None, row.tune_id) and str(obj.get("tune_id")) != str(
            row.tune_id
        ):
            continue
        if not matches(row.params, obj):
            continue
        rank = (_extras(row.params, obj), -pos)  # newest first: larger pos is older
        if best is None or rank < best:
            best, found = rank, obj
    return found


def created_at(obj: Mapping[str, Any]) -> float | None:
    value = obj.get("created_at")
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class Paging:
    """How a tune's listing pages back: by `before_id`, or by offset from a server found to
    ignore `before_id` (kept per tune, so that it is found out once)."""

    __slots__ = ("by_offset",)

    def __init__(self) -> None:
        self.by_offset = False


async def newest_first(list_page: ListPage, tune_id: int, paging: Paging
                       ) -> AsyncGenerator[tuple[list[dict[str, Any]], list[int]], None]:
    """The tune's prompts page by page, newest first, each with its int ids, until a short
    or empty page; the caller stops earlier by leaving the loop.

    Pages go back with `before_id` (the smallest id of the last page); a page holding ids
    not below it shows a server that ignores `before_id`, and the listing goes on by offset
    (the number of entries listed so far)."""
    before: int | None = None
    listed = 0
    while True:
        page = await list_page(tune_id, listed if paging.by_offset else 0, PAGE,
                               None if paging.by_offset else before)
        ids = [obj["id"] for obj in page if isinstance(obj.get("id"), int)]
        if before is not None and not paging.by_offset and any(i >= before for i in ids):
            paging.by_offset = True
            continue
        listed += len(page)
        yield page, ids
        if len(page) < PAGE or not ids:
            return
        before = min(ids)


async def list_since(list_page: ListPage, tune_id: int, since: float) -> list[dict[str, Any]]:
    """Every prompt of the tune created at or after `since` (server clock, plus margin)."""
    out: list[dict[str, Any]] = []
    seen: set[object] = set()
    async with contextlib.aclosing(newest_first(list_page, tune_id, Paging())) as pages:
        async for page, _ in pages:
            older = False
            for obj in page:
                when = created_at(obj)
                if when is not None and when < since:
                    older = True
                    continue
                if obj.get("id") not in seen:  # creations while paging shift entries down
                    seen.add(obj.get("id"))
                    out.append(obj)
            if older:
                break
    return out


class Reconciler:
    """Answers "was this row created?" for rows of any tune, sharing listings per tune."""

    def __init__(self, list_page: ListPage, claimed: set[int],
                 also_claimed: Callable[[], set[int]] | None = None) -> None:
        self._list_page = list_page
        self.claimed = claimed
        self._also_claimed = also_claimed
        """With a shared ledger: remote ids other runners recorded meanwhile."""
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, list[tuple[Row, asyncio.Future[dict[str, Any] | None]]]] = {}

    async def find(self, row: Row) -> dict[str, Any] | None:
        """The prompt object created for `row`, claimed for it; None if the server has none."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[dict[str, Any] | None] = loop.create_future()
        self._waiting.setdefault(row.tune_id, []).append((row, fut))
        lock = self._locks.setdefault(row.tune_id, asyncio.Lock())
        async with lock:
            if not fut.done():
                batch = self._waiting.pop(row.tune_id, [])
                try:
                    await self._answer(row.tune_id, batch)
                except BaseException as err:
                    for _, f in batch:
                        if not f.done() and f is not fut:
                            f.set_exception(err if isinstance(err, Exception) else
                                            RuntimeError("reconciliation cancelled"))
                    raise
        return fut.result()

    async def _answer(
        self, tune_id: int, batch: list[tuple[Row, asyncio.Future[dict[str, Any] | None]]]
    ) -> None:
        marks = [r.inflight_at for r, _ in batch if r.inflight_at is not None]
        since = (min(marks) if marks else 0.0) - CLOCK_MARGIN
        candidates = await list_since(self._list_page, tune_id, since)
        if self._also_claimed is not None:
            self.claimed |= self._also_claimed()
        for row, fut in batch:
            obj = pick(row, candidates, self.claimed)
            if obj is not None:
                self.claimed.add(int(obj["id"]))
            fut.set_result(obj)
