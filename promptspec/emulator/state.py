"""The emulator's memory: every prompt created, and counters the tests and benchmarks read.

Handlers run on the server's event loop thread while tests read from theirs, so every
mutation and every read takes one lock; records are frozen and replaced, never mutated.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["EmulatorState", "PromptRecord", "Upload", "creates_by_fields", "fields_key"]


@dataclass(frozen=True, slots=True)
class Upload:
    """A file part received for a file parameter (`input_image`, `mask_image`)."""

    filename: str
    sha256: str
    data: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class PromptRecord:
    """One created prompt. `params` holds the typed API parameters as sent; uploaded files
    stand as `{"file_sha256": hex}` there, with their bytes in `uploads`."""

    id: int
    tune_id: int
    params: Mapping[str, Any]
    created_at: datetime
    ready_at: datetime
    base_url: str
    uploads: Mapping[str, Upload] = field(default_factory=dict)
    deleted: bool = False
    user_error: str | None = None
    """Set when the prompt is to fail (shown once it settles); it then has no images."""

    @property
    def num_images(self) -> int:
        n = self.params.get("num_images")
        return n if isinstance(n, int) else 1

    def finished(self, now: datetime | None = None) -> bool:
        return (now or utcnow()) >= self.ready_at


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(ts: datetime) -> str:
    """`2022-10-06T16:12:54.505Z`: ISO 8601, UTC, milliseconds, Z."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def _key_value(value: Any) -> Any:
    if isinstance(value, Mapping) and "file_sha256" in value:
        return ("file_sha256", value["file_sha256"])
    return value


def fields_key(params: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """The sorted (field, value) pairs of a request's params; a file stands as
    `("file_sha256", hex)`. Build it from a `Request.params` to look one up in
    `creates_by_fields`. Unset (None) fields are left out."""
    return tuple(sorted((k, _key_value(v)) for k, v in params.items() if v is not None))


class EmulatorState:
    """Thread-safe store of prompts and counters.

    `faults` counts injected faults by kind: `fail_500`, `fail_503`, `rate_limit`, `drop`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._prompts: dict[int, PromptRecord] = {}
        self._by_tune: dict[int, list[int]] = {}
        self._next_id = 1
        self._create_count = 0
        self._requests_seen = 0
        self._callbacks_sent = 0
        self._faults: Counter[str] = Counter()

    # -- writes (server thread) ------------------------------------------------------
    def create(
        self,
        tune_id: int,
        params: Mapping[str, Any],
        latency: float,
        base_url: str,
        uploads: Mapping[str, Upload] | None = None,
        user_error: str | None = None,
    ) -> PromptRecord:
        now = utcnow()
        with self._lock:
            record = PromptRecord(
                id=self._next_id,
                tune_id=tune_id,
                params=dict(params),
                created_at=now,
                ready_at=now + timedelta(seconds=latency),
                base_url=base_url,
                uploads=dict(uploads or {}),
                user_error=user_error,
            )
            self._next_id += 1
            self._prompts[record.id] = record
            self._by_tune.setdefault(tune_id, []).append(record.id)
            self._create_count += 1
        return record

    def delete(self, prompt_id: int) -> bool:
        with self._lock:
            record = self._prompts.get(prompt_id)
            if record is None or record.deleted:
                return False
            self._prompts[prompt_id] = replace(record, deleted=True)
            return True

    def saw_request(self) -> None:
        with self._lock:
            self._requests_seen += 1

    def sent_callback(self) -> None:
        with self._lock:
            self._callbacks_sent += 1

    def fault(self, kind: str) -> None:
        with self._lock:
            self._faults[kind] += 1

    # -- reads -----------------------------------------------------------------------
    def get(self, tune_id: int | None, prompt_id: int) -> PromptRecord | None:
        """The live prompt, if it exists, is not deleted and belongs to `tune_id`
        (any tune when None)."""
        with self._lock:
            record = self._prompts.get(prompt_id)
        if record is None or record.deleted:
            return None
        if tune_id is not None and record.tune_id != tune_id:
            return None
        return record

    def page(self, tune_id: int | None, offset: int, limit: int, before_id: int | None = None,
             text: str | None = None) -> list[PromptRecord]:
        """One page of live prompts, newest first: of one tune, or of every tune (None).

        `before_id`: only prompts with a smaller id; `text`: only prompts whose text holds
        it, ignoring case."""
        out: list[PromptRecord] = []
        if limit <= 0:
            return out
        needle = text.casefold() if text else None
        skipped = 0
        with self._lock:
            ids: list[int] | dict[int, PromptRecord] = (
                self._by_tune.get(tune_id, []) if tune_id is not None else self._prompts)
            for pid in reversed(ids):  # both hold ids in creation order
                record = self._prompts[pid]
                if record.deleted or (before_id is not None and pid >= before_id):
                    continue
                if needle is not None and needle not in str(record.params.get("text") or
                                                            "").casefold():
                    continue
                if skipped < offset:
                    skipped += 1
                    continue
                out.append(record)
                if len(out) >= limit:
                    break
        return out

    @property
    def prompts(self) -> list[PromptRecord]:
        """Every prompt ever created, deleted ones included (see `.deleted`), by id."""
        with self._lock:
            return [self._prompts[k] for k in sorted(self._prompts)]

    @property
    def create_count(self) -> int:
        with self._lock:
            return self._create_count

    @property
    def requests_seen(self) -> int:
        with self._lock:
            return self._requests_seen

    @property
    def callbacks_sent(self) -> int:
        with self._lock:
            return self._callbacks_sent

    @property
    def faults(self) -> Counter[str]:
        with self._lock:
            return Counter(self._faults)

    def creates_by_fields(self) -> Counter[tuple[tuple[str, Any], ...]]:
        """How many prompts were created per distinct set of fields (deleted included)."""
        return Counter(fields_key(r.params) for r in self.prompts)


def creates_by_fields(state: EmulatorState) -> Counter[tuple[tuple[str, Any], ...]]:
    """`state.creates_by_fields()`: count of created prompts keyed by `fields_key`."""
    return state.creates_by_fields()
