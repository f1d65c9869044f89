"""Fault injection for creates: random 500/503 failures, a rate limit, dropped connections,
and prompts that fail as the API reports it (`user_error`).

One `Faults` per server. Its randomness comes from one seeded generator so that tests are
reproducible; the rate limit is a token bucket holding at most one second of creates.
"""

from __future__ import annotations

import math
import random
import threading
import time
from dataclasses import dataclass

__all__ = ["Decision", "Faults"]


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one create: answer `status` now (429/500/503), or create it and
    then `drop` the connection, or (status None, drop False) answer 201."""

    status: int | None = None
    retry_after: int | None = None
    drop: bool = False

    @property
    def kind(self) -> str | None:
        if self.status == 429:
            return "rate_limit"
        if self.status is not None:
            return f"fail_{self.status}"
        return "drop" if self.drop else None


class Faults:
    def __init__(
        self,
        fail_rate: float = 0.0,
        rate_limit: float | None = None,
        drop_rate: float = 0.0,
        seed: int | None = None,
        user_error_rate: float = 0.0,
    ) -> None:
        self.fail_rate = fail_rate
        self.user_error_rate = user_error_rate
        self.rate_limit = rate_limit
        self.drop_rate = drop_rate
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._tokens = max(1.0, rate_limit or 0.0)  # a full bucket: one second of creates
        self._stamp = time.monotonic()

    def _take_token(self) -> float:
        """Take one token: 0.0 when allowed, else the seconds until one is available."""
        assert self.rate_limit is not None
        now = time.monotonic()
        capacity = max(1.0, self.rate_limit)
        self._tokens = min(capacity, self._tokens + (now - self._stamp) * self.rate_limit)
        self._stamp = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) / self.rate_limit

    def user_error(self) -> bool:
        """Whether a created prompt is to fail the way the API reports it (`user_error`)."""
        with self._lock:
            return bool(self.user_error_rate) and self._random.random() < self.user_error_rate

    def decide(self) -> Decision:
        """The fate of one create, decided before anything is created."""
        with self._lock:
            if self.rate_limit is not None:
                wait = self._take_token()
                if wait > 0:
                    return Decision(status=429, retry_after=max(1, math.ceil(wait)))
            if self.fail_rate and self._random.random() < self.fail_rate:
                return Decision(status=500 if self._random.random() < 0.5 else 503)
            if self.drop_rate and self._random.random() < self.drop_rate:
                return Decision(drop=True)
        return Decision()
