"""The run ledger: one row per request id, the single source of truth for resuming.

States: planned -> inflight -> created -> finished, or failed. A row is *claimed* (marked
inflight, with the claim committed) before its create is sent, so a crash leaves evidence
that the create may have reached the server; such rows are reconciled with the tune's
prompt list before any resend. A claim succeeds only on a planned row, so two runners
sharing one ledger never both send the same request.

`Ledger` is the one interface; `ledgers.open_ledger` picks its implementation: SQLite in
`OUT/run.sqlite` (`ledger_sqlite.py`, the default) or PostgreSQL (`ledger_postgres.py`,
`--ledger postgresql://...`). Both speak the same SQL through `_x`, which is why the
transitions live here, once.
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Literal

from promptspec.request import Request, images_of

__all__ = ["Budget", "Claim", "Ledger", "Row", "redact_url", "requests_table"]


Claim = Literal["ok", "taken", "budget", "wait"]
"""ok: the row is ours to send; taken: another runner holds it; budget: creating it would
exceed `--max-cost-mc`; wait: no cost estimate yet and another prompt is still pending."""

COLUMNS = (
    "id, seq, spec, prompt, idx, coords, tune_id, params, state, remote_id, attempts, error, "
    "cost_mc, image_urls, images, inflight_at"
)


def requests_table(table: str, extra_columns: str = "") -> str:
    """The DDL of the requests table named `table`, one text for both databases (SQLite
    reads BIGINT as INTEGER and DOUBLE PRECISION as REAL); `extra_columns` ends the list."""
    return f"""
CREATE TABLE IF NOT EXISTS {table} (
    id          TEXT PRIMARY KEY,
    seq         INTEGER NOT NULL,
    spec        TEXT NOT NULL,
    prompt      TEXT NOT NULL,
    idx         INTEGER NOT NULL,
    coords      TEXT NOT NULL,
    tune_id     BIGINT NOT NULL,
    params      TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'planned',
    remote_id   BIGINT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    error       TEXT,
    cost_mc     BIGINT,
    image_urls  TEXT,
    images      TEXT,
    inflight_at DOUBLE PRECISION{extra_columns}
);
CREATE UNIQUE INDEX IF NOT EXISTS requests_remote ON {table}(remote_id)
    WHERE remote_id IS NOT NULL;
"""


@dataclass(slots=True)
class Row:
    """One request as the ledger knows it (mutable: the executor updates it as it goes)."""

    id: str
    seq: int
    spec: str
    prompt: str
    index: int
    coords: dict[str, Any]
    tune_id: int
    params: dict[str, Any]
    state: str = "planned"
    remote_id: int | None = None
    attempts: int = 0
    error: str | None = None
    cost_mc: int | None = None
    image_urls: list[str] | None = None
    images: list[str] | None = None
    inflight_at: float | None = None
    held: bool = False
    """Claimed by another live runner (a shared ledger only)."""

    @property
    def num_images(self) -> int:
        return images_of(self.params)

    def result(self) -> dict[str, Any]:
        """The `results.jsonl` line (and contact sheet row) of this request."""
        return {
            "id": self.id,
            "prompt": self.prompt,
            "index": self.index,
            "coords": self.coords,
            "tune_id": self.tune_id,
            "remote_id": self.remote_id,
            "state": self.state,
            "images": list(self.images or []),
            "cost_mc": self.cost_mc,
            "error": self.error,
        }

    def load(self, other: Row) -> None:
        """Take the ledger's current view of this row (another runner may have moved it)."""
        for name in ("state", "remote_id", "attempts", "error", "cost_mc", "image_urls",
                     "images", "inflight_at", "held"):
            setattr(self, name, getattr(other, name))


@dataclass(frozen=True, slots=True)
class Budget:
    """`--max-cost-mc`: the bound, and the estimate per image before any cost is seen."""

    max_mc: int
    per_image_mc: float | None = None

    def decide(self, sweep: Sequence[tuple[str, int | None, bool, int]], images: int) -> Claim:
        """May one more prompt of `images` images be created? `sweep` holds, per request of
        the sweep, (state, cost_mc, reported, num_images); `reported`: the prompt settled
        and its cost is the API's own."""
        spent = seen_cost = seen_images = pending = 0
        for state, cost, reported, n in sweep:
            if reported:
                spent += cost or 0
                if state != "failed" and cost is not None:
                    seen_cost += cost
                    seen_images += n
            elif state in ("inflight", "created"):
                pending += n
        estimate = seen_cost / seen_images if seen_images else self.per_image_mc
        if estimate is None:
            if pending:
                return "wait"  # one at a time until the first cost is reported
            estimate = 0.0
        if spent + estimate * (pending + images) > self.max_mc:
            return "budget"
        return "ok"


def _row(t: Sequence[Any]) -> Row:
    return Row(
        id=t[0], seq=t[1], spec=t[2], prompt=t[3], index=t[4], coords=json.loads(t[5]),
        tune_id=t[6], params=json.loads(t[7]), state=t[8], remote_id=t[9], attempts=t[10],
        error=t[11], cost_mc=t[12],
        image_urls=json.loads(t[13]) if t[13] is not None else None,
        images=json.loads(t[14]) if t[14] is not None else None,
        inflight_at=t[15], held=bool(t[16]) if len(t) > 16 else False,
    )


def _dumps_ordered(obj: Any) -> str:
    """Coords keep their axis order: the contact sheet lays axes out in that order."""
    return json.dumps(obj, ensure_ascii=False)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True)


class Ledger(ABC):
    """The ledger interface. SQL uses `?` placeholders and the unqualified table
    `requests`; each implementation runs it on its own database."""

    shared = False
    """True when other runners may work on the same rows (claims carry leases)."""

    # -- what an implementation provides --------------------------------------------------

    @abstractmethod
    def _x(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Execute one statement (autocommit outside `_tx`); a cursor to iterate."""

    @abstractmethod
    def _tx(self, lock: bool = False) -> AbstractContextManager[None]:
        """A transaction; `lock`: serialised with every other budget decision."""

    @abstractmethod
    def close(self) -> None: ...

    def _select(self) -> str:
        """The columns of a row, plus whether another live runner holds its claim."""
        return COLUMNS

    def _claim_sets(self) -> tuple[str, list[Any]]:
        """Extra `SET` clauses of a claim (owner and lease) and their parameters."""
        return "", []

    def _held_filter(self) -> str:
        """A condition true for inflight rows whose claim may be taken over."""
        return "1=1"

    # -- shared -------------------------------------------------------------------------

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def plan(self, requests: Iterable[Request]) -> list[Row]:
        """Record the run's requests (new ids as planned; known ids keep their state).

        Returns one row per distinct id, in expansion order. A request id seen twice
        (PS404) is one request: the first occurrence names it.
        """
        seen: set[str] = set()
        values: list[tuple[Any, ...]] = []
        for seq, r in enumerate(requests):
            if r.id in seen:
                continue
            seen.add(r.id)
            values.append((r.id, seq, r.spec, r.prompt, r.index, _dumps_ordered(r.coords),
                           r.tune_id, _dumps(r.params)))
        with self._tx():
            for v in values:
                self._x(
                    "INSERT INTO requests (id, seq, spec, prompt, idx, coords, tune_id, params)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT(id) DO UPDATE SET seq=excluded.seq, spec=excluded.spec,"
                    " prompt=excluded.prompt, idx=excluded.idx, coords=excluded.coords", v)
        ids = [v[0] for v in values]
        rows = {row.id: row for row in self.rows(ids)}
        return [rows[i] for i in ids]

    def rows(self, ids: list[str] | None = None) -> Iterator[Row]:
        """Rows by id (all rows, in expansion order, when `ids` is None)."""
        if ids is None:
            for t in list(self._x(f"SELECT {self._select()} FROM requests ORDER BY seq")):
                yield _row(t)
            return
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT {self._select()} FROM requests WHERE id IN ({marks})"
            for t in list(self._x(sql, chunk)):
                yield _row(t)

    def refresh(self, rows: Iterable[Row]) -> None:
        """Bring rows up to date with the ledger (what other runners did meanwhile)."""
        mine = {r.id: r for r in rows}
        for fresh in self.rows(list(mine)):
            mine[fresh.id].load(fresh)

    def held_ids(self, retry_failed: bool = False) -> set[str]:
        """Ids past planned: a run would not create them again (nor failed ones, unless
        `retry_failed`)."""
        skip = ("planned", "failed") if retry_failed else ("planned", "planned")
        return {t[0] for t in self._x("SELECT id FROM requests WHERE state NOT IN (?, ?)", skip)}

    def claimed_remote_ids(self) -> set[int]:
        cur = self._x("SELECT remote_id FROM requests WHERE remote_id IS NOT NULL")
        return {int(t[0]) for t in cur}

    # -- claims -------------------------------------------------------------------------

    def claim(self, row: Row, budget: Budget | None = None,
              sweep: Sequence[Row] = ()) -> Claim:
        """Take a planned row for sending: marked inflight and committed before the create.

        With a budget, the decision and the claim are one transaction, serialised with
        every other runner's, over the current state of the `sweep`'s rows."""
        now = time.time()
        if budget is None:
            won = self._take(row, now)
        else:
            with self._tx(lock=True):
                verdict = budget.decide(self._sweep_costs(sweep), row.num_images)
                if verdict != "ok":
                    return verdict
                won = self._take(row, now)
        if not won:
            self.refresh([row])
            return "taken"
        row.state, row.attempts, row.inflight_at = "inflight", row.attempts + 1, now
        row.held = False
        return "ok"

    def _take(self, row: Row, now: float) -> bool:
        sets, extra = self._claim_sets()
        cur = self._x(
            f"UPDATE requests SET state='inflight', attempts=attempts+1, inflight_at=?{sets}"
            " WHERE id=? AND state='planned'", [now, *extra, row.id])
        return bool(cur.rowcount == 1)

    def take_over(self, row: Row) -> bool:
        """Claim an inflight row left by a crash (or a dead runner whose lease lapsed), to
        reconcile it; False when a live runner holds it or it moved on."""
        sets, extra = self._claim_sets()
        if not sets:
            return row.state == "inflight"
        cur = self._x(f"UPDATE requests SET {sets.lstrip(', ')} WHERE id=? AND state='inflight'"
                      f" AND {self._held_filter()}", [*extra, row.id])
        if cur.rowcount != 1:
            self.refresh([row])
            return False
        row.held = False
        return True

    def _sweep_costs(self, sweep: Sequence[Row]) -> list[tuple[str, int | None, bool, int]]:
        images = {r.id: r.num_images for r in sweep}
        out: list[tuple[str, int | None, bool, int]] = []
        ids = list(images)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            cur = self._x(
                "SELECT id, state, cost_mc, state='finished' OR image_urls IS NOT NULL"
                " OR (state='failed' AND remote_id IS NOT NULL AND cost_mc IS NOT NULL)"
                f" FROM requests WHERE id IN ({marks})", chunk)
            out.extend((t[1], t[2], bool(t[3]), images[t[0]]) for t in cur)
        return out

    # -- transitions (each one commit) ----------------------------------------------------

    def mark_planned(self, row: Row, error: str | None = None) -> None:
        """The server surely did not create it (429, 5xx it refused, nothing sent)."""
        row.state = "planned"
        row.error = error
        self._x("UPDATE requests SET state='planned', error=? WHERE id=?", (error, row.id))

    def mark_created(self, row: Row, remote_id: int, cost_mc: int | None) -> None:
        row.state = "created"
        row.remote_id = remote_id
        row.cost_mc = cost_mc if cost_mc is not None else row.cost_mc
        row.error = None
        self._x("UPDATE requests SET state='created', remote_id=?, cost_mc=?, error=NULL"
                " WHERE id=?", (remote_id, row.cost_mc, row.id))

    def set_image_urls(self, row: Row, urls: list[str], cost_mc: int | None) -> None:
        row.image_urls = urls
        row.cost_mc = cost_mc if cost_mc is not None else row.cost_mc
        self._x("UPDATE requests SET image_urls=?, cost_mc=? WHERE id=?",
                (_dumps(urls), row.cost_mc, row.id))

    def mark_finished(self, row: Row, images: list[str]) -> None:
        row.state = "finished"
        row.images = images
        row.error = None
        self._x("UPDATE requests SET state='finished', images=?, error=NULL WHERE id=?",
                (_dumps(images), row.id))

    def mark_failed(self, row: Row, error: str, cost_mc: int | None = None) -> None:
        row.state = "failed"
        row.error = error
        row.cost_mc = cost_mc if cost_mc is not None else row.cost_mc
        self._x("UPDATE requests SET state='failed', error=?, cost_mc=? WHERE id=?",
                (error, row.cost_mc, row.id))

    def note_error(self, row: Row, error: str) -> None:
        """Record a problem without changing state (an inflight row stays inflight)."""
        row.error = error
        self._x("UPDATE requests SET error=? WHERE id=?", (error, row.id))

    def retry_failed(self, row: Row) -> None:
        """`--retry-failed`: a failed request becomes planned again, as if never sent."""
        if row.state != "failed":
            return
        self._x("UPDATE requests SET state='planned', remote_id=NULL, attempts=0, error=NULL,"
                " cost_mc=NULL, image_urls=NULL, images=NULL WHERE id=? AND state='failed'",
                (row.id,))
        row.state, row.remote_id, row.attempts, row.error = "planned", None, 0, None
        row.cost_mc = row.image_urls = row.images = None


def redact_url(url: str) -> str:
    """A ledger URL fit to show: the password (and any `password=` parameter) as `***`."""
    import re
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        user, _, host = netloc.rpartition("@")
        name = user.split(":", 1)[0]
        netloc = f"{name}:***@{host}"
    query = re.sub(r"(?i)(password=)[^&]*", r"\1***", parts.query)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
