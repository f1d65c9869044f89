"""The shared ledger: PostgreSQL through psycopg 3, for any number of runners on one sweep.

Tables live in the schema `promptspec` (created on first use); rows are keyed by request
id, so one database holds any number of sweeps. A claim records its runner (`owner`) and a
lease (`lease_until`, the server's clock); a thread renews this runner's leases every
third of the lease, so a claim lapses only when its runner has stopped. Budget decisions
take a transaction-scoped advisory lock, so that no two runners decide at once.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from promptspec.errors import RunError
from promptspec.runner._wire import scrub, secret_forms
from promptspec.runner.ledger import COLUMNS, Ledger, redact_url, requests_table

__all__ = ["DEFAULT_LEASE", "PostgresLedger"]

DEFAULT_LEASE = 60.0
_SCHEMA_LOCK = 0x70737063  # advisory lock keys: schema creation, budget decisions
_BUDGET_LOCK = 0x70737064

_SCHEMA = "CREATE SCHEMA IF NOT EXISTS promptspec;" + requests_table(
    "promptspec.requests", ",\n    owner       TEXT,\n    lease_until TIMESTAMPTZ")


def _connect(url: str) -> Any:
    import psycopg

    try:
        if "connect_timeout" in url:  # the URL's own libpq parameters win
            conn = psycopg.connect(url, autocommit=True)
        else:
            conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as err:
        raise RunError(_redacted(f"cannot open the ledger at {redact_url(url)}: "
                                 f"{str(err).strip().splitlines()[0] if str(err) else err!r}",
                                 url)) from None
    conn.execute("SET search_path TO promptspec")
    return conn


def _redacted(text: str, url: str) -> str:
    """`text` without the URL's password (its `password=` parameters too), in any encoding."""
    from urllib.parse import parse_qsl, unquote, urlsplit

    parts = urlsplit(url)
    password = parts.password
    given = [v for k, v in parse_qsl(parts.query) if k.lower() == "password"]
    return scrub(text, secret_forms([password, unquote(password or ""), *given]))


class PostgresLedger(Ledger):
    """Rows in `promptspec.requests` of the database at `url`."""

    shared = True

    def __init__(self, url: str, lease: float = DEFAULT_LEASE) -> None:
        import psycopg

        self.url = url
        self.lease = lease
        self.owner = f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self._conn = _connect(url)
        try:
            with self._conn.transaction():
                self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                self._conn.execute(_SCHEMA)
        except psycopg.Error as err:
            self._conn.close()
            raise RunError(_redacted(f"cannot create the ledger's tables at {redact_url(url)}:"
                                     f" {err}", url)) from None
        self._stop = threading.Event()
        self._renewer = threading.Thread(target=self._renew_loop, daemon=True,
                                         name="promptspec-lease")
        self._renewer.start()

    def close(self) -> None:
        self._stop.set()
        self._renewer.join(timeout=5)
        self._conn.close()

    def _x(self, sql: str, params: Sequence[Any] = ()) -> Any:
        import psycopg

        try:
            return self._conn.execute(sql.replace("?", "%s"), list(params))
        except psycopg.OperationalError as err:  # the server went away: one line, exit 2
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise RunError(_redacted(f"the ledger at {redact_url(self.url)} failed: {first}",
                                     self.url)) from None

    @contextmanager
    def _tx(self, lock: bool = False) -> Iterator[None]:
        with self._conn.transaction():
            if lock:
                self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (_BUDGET_LOCK,))
            yield

    def _select(self) -> str:
        return (f"{COLUMNS}, state='inflight' AND owner IS NOT NULL AND owner <> "
                f"'{self.owner}' AND lease_until > now()")

    def _claim_sets(self) -> tuple[str, list[Any]]:
        return ", owner=?, lease_until=now() + ? * interval '1 second'", [self.owner, self.lease]

    def _held_filter(self) -> str:
        return f"(owner IS NULL OR owner = '{self.owner}' OR lease_until <= now())"

    def _renew_loop(self) -> None:
        """Renew this runner's leases on a connection of its own (the event loop may be
        busy); a failed renewal is tried again at the next tick."""
        conn = None
        while not self._stop.wait(self.lease / 3):
            try:
                if conn is None:
                    conn = _connect(self.url)
                conn.execute("UPDATE requests SET lease_until=now() + %s * interval '1 second'"
                             " WHERE owner=%s AND state='inflight'", [self.lease, self.owner])
            except Exception:
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()
