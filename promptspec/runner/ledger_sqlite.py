"""The embedded ledger: `OUT/run.sqlite`, for one runner per output folder.

The database runs in WAL mode with `synchronous=NORMAL`: every commit survives the process
being killed (the data is in the OS page cache); only a power loss could lose the last few.
One connection, owned by the event loop's thread; commits are small and synchronous.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from promptspec.runner.ledger import Ledger, requests_table

__all__ = ["SqliteLedger"]

_SCHEMA = requests_table("requests")


class SqliteLedger(Ledger):
    """The `run.sqlite` of one output folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)
        self._depth = 0

    def close(self) -> None:
        self._db.close()

    def _x(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self._db.execute(sql, params)

    @contextmanager
    def _tx(self, lock: bool = False) -> Iterator[None]:
        if self._depth:
            yield
            return
        self._db.execute("BEGIN IMMEDIATE")
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            self._db.execute("ROLLBACK")
            raise
        self._depth -= 1
        self._db.execute("COMMIT")
