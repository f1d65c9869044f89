"""Which ledger a run keeps: PostgreSQL for a `postgresql://` URL, else `OUT/run.sqlite`."""

from __future__ import annotations

from pathlib import Path

from promptspec.errors import UsageError
from promptspec.runner.ledger import Ledger, redact_url

__all__ = ["check_ledger_url", "open_ledger"]


def check_ledger_url(url: str | None) -> None:
    """`--ledger` takes `postgresql://` and `postgres://` URLs (else one line, exit 2)."""
    if url is not None and not url.startswith(("postgresql://", "postgres://")):
        raise UsageError(f"--ledger {redact_url(url)!r}: expected a postgresql:// URL")


def open_ledger(url: str | None, out_dir: Path, lease: float = 60.0) -> Ledger:
    """The ledger of a run: PostgreSQL for a `postgresql://` URL, else `OUT/run.sqlite`."""
    if url:
        from promptspec.runner.ledger_postgres import PostgresLedger

        return PostgresLedger(url, lease)
    from promptspec.runner.ledger_sqlite import SqliteLedger

    return SqliteLedger(out_dir / "run.sqlite")
