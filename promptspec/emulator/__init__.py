"""A local emulator of the Astria prompts API, for `promptspec mock-server` and `run --mock`.

The public surface: `EmulatorConfig`, `start_emulator` (a server in a daemon thread,
used as a context manager), `serve_forever` (the CLI's foreground server), the thread-safe
`EmulatorState`, and `creates_by_fields` for exactly-once assertions. aiohttp and Pillow are
imported only when a server starts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

from promptspec.emulator.state import (
    EmulatorState,
    PromptRecord,
    creates_by_fields,
    fields_key,
)

if TYPE_CHECKING:
    from promptspec.emulator._server import _Thread

__all__ = [
    "EmulatorConfig",
    "EmulatorState",
    "PromptRecord",
    "RunningEmulator",
    "creates_by_fields",
    "fields_key",
    "serve_forever",
    "start_emulator",
]


@dataclass(frozen=True)
class EmulatorConfig:
    host: str = "127.0.0.1"
    port: int = 0
    latency: float = 0.0  # seconds from a create until its images are ready
    fail_rate: float = 0.0  # share of creates answered 500 or 503 (half each)
    rate_limit: float | None = None  # creates per second beyond which 429 + Retry-After
    drop_rate: float = 0.0  # share of creates made, then cut off without a response
    create_delay: float = 0.0  # seconds before answering a create (benchmarks)
    seed: int | None = None  # fault randomness, for reproducible tests
    allow_non_loopback: bool = False
    user_error_rate: float = 0.0  # share of prompts that settle with user_error set
    api: str = "current"  # the API profile whose parameter table validates creates


class RunningEmulator:
    """A server running in a daemon thread; `with start_emulator() as emu: emu.url`."""

    def __init__(self, url: str, state: EmulatorState, thread: _Thread) -> None:
        self.url = url
        self.state = state
        self._thread = thread

    def stop(self) -> None:
        self._thread.stop()

    def creates_by_fields(self) -> Counter[tuple[tuple[str, Any], ...]]:
        return self.state.creates_by_fields()

    def __enter__(self) -> RunningEmulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_emulator(config: EmulatorConfig = EmulatorConfig()) -> RunningEmulator:
    """Start a server on `config.host:config.port` (port 0: a free one) in a daemon thread.

    Raises `promptspec.errors.UsageError` for a non-loopback host without
    `allow_non_loopback`, or an address that cannot be bound.
    """
    from promptspec.emulator._server import check_host, start_in_thread

    check_host(config)
    state = EmulatorState()
    thread, url = start_in_thread(config, state)
    return RunningEmulator(url, state, thread)


async def serve_forever(config: EmulatorConfig) -> None:
    """Serve in the foreground until SIGINT or SIGTERM (the `mock-server` command)."""
    from promptspec.emulator._server import serve_forever as _serve

    await _serve(config)
