"""Running the emulator: in a daemon thread (tests, `run --mock`) or in the foreground (CLI)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import threading
from typing import TYPE_CHECKING

from aiohttp import web

from promptspec.emulator._net import bind_host, is_loopback_host, url_host
from promptspec.emulator.app import build_app
from promptspec.emulator.faults import Faults
from promptspec.emulator.state import EmulatorState
from promptspec.errors import UsageError

if TYPE_CHECKING:
    from promptspec.emulator import EmulatorConfig

__all__ = ["check_host", "serve_forever", "start_in_thread"]


def check_host(config: EmulatorConfig) -> None:
    if not config.allow_non_loopback and not is_loopback_host(config.host):
        raise UsageError(
            f"refusing to listen on non-loopback address {config.host!r}; "
            "pass --allow-non-loopback to expose the emulator beyond this machine"
        )


async def _start(config: EmulatorConfig, state: EmulatorState) -> tuple[web.AppRunner, str]:
    check_host(config)
    faults = Faults(config.fail_rate, config.rate_limit, config.drop_rate, config.seed,
                    config.user_error_rate)
    app = build_app(state, latency=config.latency, create_delay=config.create_delay,
                    faults=faults, api=config.api)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    host = bind_host(config.host)
    site = web.TCPSite(runner, host, config.port)
    try:
        await site.start()
    except OSError as err:
        await runner.cleanup()
        raise UsageError(f"cannot listen on {host}:{config.port}: {err.strerror or err}") from None
    port = runner.addresses[0][1]
    return runner, f"http://{url_host(host)}:{port}"


async def serve_forever(config: EmulatorConfig) -> None:
    """Serve in the foreground until SIGINT/SIGTERM; prints the listening line on stderr."""
    state = EmulatorState()
    runner, url = await _start(config, state)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # not available off the main thread or on Windows: Ctrl-C then ends asyncio.run
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    print(f"promptspec mock-server listening on {url}", file=sys.stderr, flush=True)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


class _Thread:
    """The event loop thread behind a `RunningEmulator`."""

    def __init__(self, config: EmulatorConfig, state: EmulatorState) -> None:
        self.loop = asyncio.new_event_loop()
        self._config = config
        self._state = state
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._runner: web.AppRunner | None = None
        self.url = ""
        self._thread = threading.Thread(target=self._main, name="promptspec-emulator",
                                        daemon=True)

    def start(self) -> str:
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join()
            raise self._error
        return self.url

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self._runner, self.url = self.loop.run_until_complete(
                _start(self._config, self._state)
            )
        except BaseException as err:
            self._error = err
            self._ready.set()
            self.loop.close()
            return
        self._ready.set()
        try:
            self.loop.run_forever()
        finally:
            if self._runner is not None:
                self.loop.run_until_complete(self._runner.cleanup())
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def stop(self) -> None:
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=10)


def start_in_thread(config: EmulatorConfig, state: EmulatorState) -> tuple[_Thread, str]:
    thread = _Thread(config, state)
    return thread, thread.start()
