"""The runner's HTTP client: one `httpx.AsyncClient`, its limits, rate bucket and retries.

The key travels only in the `Authorization` header of API calls; image downloads (which
may live on another host) never carry it. Every error text leaving this module is
redacted.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from promptspec.errors import RunError
from promptspec.runner._wire import (
    Backoff,
    Redactor,
    api_message,
    describe,
    file_part_name,
    retry_after,
)

__all__ = ["NOT_SENT", "UNKNOWN", "Api", "ApiConfig", "ApiError", "TokenBucket"]

# Transport errors, by what they tell us about a create.
NOT_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol,
)
UNKNOWN: tuple[type[Exception], ...] = (httpx.TransportError,)


@dataclass(frozen=True, slots=True)
class ApiConfig:
    base_url: str
    key: str = field(repr=False)  # never shown
    concurrency: int = 32
    rate: float | None = None
    backoff: Backoff = field(default_factory=Backoff)
    connect_timeout: float = 10.0
    read_timeout: float = 60.0


class ApiError(Exception):
    """A GET that failed for good (after retries, or a status that retrying cannot help)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class TokenBucket:
    """At most `rate` acquisitions per second, shared by every create (no burst); a 429's
    `Retry-After` pauses every create, not only the one that met it."""

    def __init__(self, rate: float | None) -> None:
        self._interval = 1.0 / rate if rate else 0.0
        self._next = 0.0

        self._paused_until = 0.0

    def pause(self, seconds: float) -> None:
        """Hold every create for `seconds` (the server said 429 with Retry-After)."""
        until = asyncio.get_running_loop().time() + seconds
        self._paused_until = max(self._paused_until, until)

    async def take(self) -> None:
        now = asyncio.get_running_loop().time()
        if self._paused_until > now:
            await asyncio.sleep(self._paused_until - now)
            now = asyncio.get_running_loop().time()
        if not self._interval:
            return
        self._next = max(self._next, now)
        wait = self._next - now
        self._next += self._interval
        if wait > 0:
            await asyncio.sleep(wait)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's default TLS context (certifi's roots, `SSL_CERT_FILE`/`SSL_CERT_DIR` honoured),
    made once per process: reading the roots costs about 30 ms of CPU per client."""
    return httpx.create_ssl_context()


class Api:
    """Calls of the Astria prompts API, bounded by `concurrency` requests in flight."""

    def __init__(
        self, config: ApiConfig, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.config = config
        self.redact = Redactor(config.key, config.base_url)
        self._base = config.base_url.rstrip("/")
        self._auth = {"Authorization": f"Bearer {config.key}"}
        limits = httpx.Limits(
            max_connections=config.concurrency, max_keepalive_connections=config.concurrency
        )
        if transport is None:
            transport = httpx.AsyncHTTPTransport(limits=limits, retries=0, verify=tls_context())
        timeout = httpx.Timeout(
            connect=config.connect_timeout, read=config.read_timeout,
            write=config.read_timeout, pool=None,
        )
        self._client = httpx.AsyncClient(transport=transport, timeout=timeout)
        self.slots = asyncio.Semaphore(config.concurrency)
        self.bucket = TokenBucket(config.rate)
        self.retries = 0
        self.rate_limited = 0
        """429s met by reads (polling backs off when it grows)."""
        self.list_calls = 0
        self.get_calls = 0

    async def aclose(self) -> None:
        await self._client.aclose()

    # -- creates (the executor decides what each outcome means) ----------------------------

    async def post_create(
        self, tune_id: int, fields: Mapping[str, str | list[str]], files: Mapping[str, Path]
    ) -> httpx.Response:
        """POST one create as multipart/form-data (text fields as parts without a filename,
        so the body is multipart even without uploads, as the API documents); a list is
        one part per item, in order."""
        parts: list[tuple[str, tuple[str | None, bytes | str]]] = []
        for name, value in fields.items():
            for item in value if isinstance(value, list) else (value,):
                parts.append((name, (None, item)))
        parts.extend((file_part_name(n), (p.name, p.read_bytes())) for n, p in files.items())
        return await self._client.post(
            f"{self._base}/tunes/{tune_id}/prompts", files=parts, headers=self._auth
        )

    # -- reads, retried here -------------------------------------------------------------

    async def get_prompt(self, tune_id: int, remote_id: int) -> dict[str, Any]:
        """One prompt: `GET /prompts/:id`, else (a server without that route answers 404)
        the tune's own route."""
        self.get_calls += 1
        try:
            data = await self._get_json(f"{self._base}/prompts/{remote_id}", None)
        except ApiError as err:
            if err.status != 404:
                raise
            data = await self._get_json(f"{self._base}/tunes/{tune_id}/prompts/{remote_id}",
                                        None)
        if not isinstance(data, dict):
            raise ApiError("the API answered a prompt with something that is not an object")
        return data

    async def list_page(self, tune_id: int, offset: int, limit: int,
                        before_id: int | None = None) -> list[dict[str, Any]]:
        """One page of the tune's prompts, newest first: after `offset` of them, or (when
        `before_id` is given) those with a smaller id."""
        params: dict[str, Any] = {"limit": limit}
        if before_id is not None:
            params["before_id"] = before_id
        elif offset:
            params["offset"] = offset
        self.list_calls += 1
        data = await self._get_json(f"{self._base}/tunes/{tune_id}/prompts", params)
        if not isinstance(data, list):
            raise ApiError("the API answered a prompt list with something that is not a list")
        return [d for d in data if isinstance(d, dict)]

    async def download(self, url: str) -> tuple[bytes, str]:
        """An image's bytes and content type (no key sent: image URLs may be anywhere)."""
        resp = await self._get(url, None, auth=False)
        return resp.content, resp.headers.get("content-type", "")

    async def preflight(self, tune_id: int) -> None:
        """Fail fast (exit 2) when the server is unreachable or refuses the key."""
        try:
            async with self.slots:
                resp = await self._client.get(
                    f"{self._base}/tunes/{tune_id}/prompts", params={"offset": 0, "limit": 1},
                    headers=self._auth,
                )
        except httpx.TransportError as err:
            raise RunError(self.redact(
                f"cannot reach the API at {self.redact.safe_base_url}: {describe(err)}"
            )) from None
        if resp.status_code in (401, 403):
            raise self.auth_error(resp.status_code)

    def auth_error(self, status: int) -> RunError:
        return RunError(
            f"the API refused the key (HTTP {status}) at {self.redact.safe_base_url}; "
            "check ASTRIA_API_KEY"
        )

    async def _get_json(self, url: str, params: dict[str, Any] | None) -> Any:
        resp = await self._get(url, params, auth=True)
        try:
            return resp.json()
        except ValueError:
            raise ApiError(f"the API answered {resp.status_code} with invalid JSON") from None

    async def _get(self, url: str, params: dict[str, Any] | None, *, auth: bool) -> httpx.Response:
        backoff = self.config.backoff
        attempt = 0
        while True:
            attempt += 1
            after: float | None = None
            try:
                async with self.slots:
                    resp = await self._client.get(
                        url, params=params, headers=self._auth if auth else None
                    )
                    await resp.aread()
            except httpx.TransportError as err:
                problem = self.redact(describe(err))
            else:
                status = resp.status_code
                if status < 300:
                    return resp
                if auth and status in (401, 403):
                    raise self.auth_error(status)
                problem = self.redact(api_message(status, resp.content))
                if status < 500 and status != 429:
                    raise ApiError(problem, status)
                if status == 429:
                    self.rate_limited += 1
                after = retry_after(resp.headers.get("retry-after"))
            if attempt >= backoff.attempts:
                raise ApiError(problem)
            self.retries += 1
            await asyncio.sleep(backoff.delay(attempt, after))
