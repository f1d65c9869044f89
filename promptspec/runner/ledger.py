"""The run ledger: one SQLite row per request id, the single source of truth for resuming.

States: planned -> inflight -> created -> finished, or failed. A row is marked inflight and
committed before its create is sent, so a crash leaves evidence that the create may have
reached the server; such rows are reconciled with the tune's prompt list before any resend.

The database runs in WAL mode with `synchronous=NORMAL`: every commit survives the process
being killed (the data is in the OS page cache); only a power loss could lose the last few.
One connection, owned by the event loop's thread; commits are small and synchronous.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promptspec.request import Request

__all__ = ["STATES", "Ledger", "Row"]

STATES = ("planned", "inflight", "created", "finished", "failed")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    id          TEXT PRIMARY KEY,
    seq         INTEGER NOT NULL,
    spec        TEXT NOT NULL,
    prompt      TEXT NOT NULL,
    idx         INTEGER NOT NULL,
    coords      TEXT NOT NULL,
    tune_id     INTEGER NOT NULL,
    params      TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'planned',
    remote_id   INTEGER,
    attempts    INTEGER NOT NULL DEFAULT 0,
    error       TEXT,
    cost_mc     INTEGER,
    image_urls  TEXT,
    images      TEXT,
    inflight_at REAL
);
CREATE UNIQUE INDEX IF NOT EXISTS requests_remote ON requests(remote_id)
    WHERE remote_id IS NOT NULL;
"""

_COLUMNS = (
    "id, seq, spec, prompt, idx, coords, tune_id, params, state, remote_id, attempts, error, "
    "cost_mc, image_urls, images, inflight_at"
)


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


def _row(t: tuple[Any, ...]) -> Row:
    return Row(
        id=t[0], seq=t[1], spec=t[2], prompt=t[3], index=t[4], coords=json.loads(t[5]),
        tune_id=t[6], params=json.loads(t[7]), state=t[8], remote_id=t[9], attempts=t[10],
        error=t[11], cost_mc=t[12],
        image_urls=json.loads(t[13]) if t[13] is not None else None,
        images=json.loads(t[14]) if t[14] is not None else None,
        inflight_at=t[15],
    )


def _dumps_ordered(obj: Any) -> str:
    """Coords keep their axis order: the contact sheet lays axes out in that order."""
    return json.dumps(obj, ensure_ascii=False)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True)


class Ledger:
    """The `run.sqlite` of one output folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- planning ---------------------------------------------------------------------

    def plan(self, requests: Iterable[Request]) -> list[Row]:
        """Record the run's requests (new ids as planned; known ids keep their state).

        Returns one row per distinct id, in expansion order. A request id seen twice
        (PS404) is one request: the first occurrence names it.
        """
        seen: set[str] = set()
        ids: list[str] = []
        with self._transaction():
            for seq, r in enumerate(requests):
                if r.id in seen:
                    continue
                seen.add(r.id)
                ids.append(r.id)
                self._db.execute(
                    "INSERT INTO requests (id, seq, spec, prompt, idx, coords, tune_id, params)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT(id) DO UPDATE SET seq=excluded.seq, spec=excluded.spec,"
                    " prompt=excluded.prompt, idx=excluded.idx, coords=excluded.coords",
                    (r.id, seq, r.spec, r.prompt, r.index, _dumps_ordered(r.coords), r.tune_id,
                     _dumps(r.params)),
                )
        rows = {row.id: row for row in self.rows(ids)}
        return [rows[i] for i in ids]

    def rows(self, ids: list[str] | None = None) -> Iterator[Row]:
        """Rows by id (all rows, in expansion order, when `ids` is None)."""
        if ids is None:
            cur = self._db.execute(f"SELECT {_COLUMNS} FROM requests ORDER BY seq")
            for t in cur:
                yield _row(t)
            return
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            cur = self._db.execute(f"SELECT {_COLUMNS} FROM requests WHERE id IN ({marks})", chunk)
            for t in cur:
                yield _row(t)

    def claimed_remote_ids(self) -> set[int]:
        cur = self._db.execute("SELECT remote_id FROM requests WHERE remote_id IS NOT NULL")
        return {int(t[0]) for t in cur}

    # -- transitions (each one commit) ----------------------------------------------------

    def mark_inflight(self, row: Row) -> None:
        """Mark and commit *before* the create is sent."""
        row.state = "inflight"
        row.attempts += 1
        row.inflight_at = time.time()
        self._db.execute(
            "UPDATE requests SET state='inflight', attempts=?, inflight_at=? WHERE id=?",
            (row.attempts, row.inflight_at, row.id),
        )

    def mark_planned(self, row: Row, error: str | None = None) -> None:
        """The server surely did not create it (429, 5xx it refused, nothing sent)."""
        row.state = "planned"
        row.error = error
        self._db.execute(
            "UPDATE requests SET state='planned', error=? WHERE id=?", (error, row.id)
        )

    def mark_created(self, row: Row, remote_id: int, cost_mc: int | None) -> None:
        row.state = "created"
        row.remote_id = remote_id
        row.cost_mc = cost_mc if cost_mc is not None else row.cost_mc
        row.error = None
        self._db.execute(
            "UPDATE requests SET state='created', remote_id=?, cost_mc=?, error=NULL WHERE id=?",
            (remote_id, row.cost_mc, row.id),
        )

    def set_image_urls(self, row: Row, urls: list[str], cost_mc: int | None) -> None:
        row.image_urls = urls
        row.cost_mc = cost_mc if cost_mc is not None else row.cost_mc
        self._db.execute(
            "UPDATE requests SET image_urls=?, cost_mc=? WHERE id=?",
            (_dumps(urls), row.cost_mc, row.id),
        )

    def mark_finished(self, row: Row, images: list[str]) -> None:
        row.state = "finished"
        row.images = images
        row.error = None
        self._db.execute(
            "UPDATE requests SET state='finished', images=?, error=NULL WHERE id=?",
            (_dumps(images), row.id),
        )

    def mark_failed(self, row: Row, error: str) -> None:
        row.state = "failed"
        row.error = error
        self._db.execute(
            "UPDATE requests SET state='failed', error=? WHERE id=?", (error, row.id)
        )

    def note_error(self, row: Row, error: str) -> None:
        """Record a problem without changing state (an inflight row stays inflight)."""
        row.error = error
        self._db.execute("UPDATE requests SET error=? WHERE id=?", (error, row.id))

    def reset_attempts(self, row: Row) -> None:
        row.attempts = 0
        self._db.execute("UPDATE requests SET attempts=0 WHERE id=?", (row.id,))

    # -- helpers ------------------------------------------------------------------------

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")
