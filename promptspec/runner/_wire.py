"""What the runner says on the wire and how it reads the answers: forms, outcomes, backoff.

Everything here is pure (no I/O) so that the executor's decisions can be tested alone.
"""

from __future__ import annotations

import email.utils
import json
import random
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "Backoff",
    "Outcome",
    "Redactor",
    "api_message",
    "classify",
    "file_part_name",
    "form_fields",
    "retry_after",
    "scrub",
    "secret_forms",
]

Outcome = Literal["created", "retry", "unknown", "invalid", "auth", "gone"]

RETRY_STATUSES = frozenset({429, 500, 503})
UNKNOWN_STATUSES = frozenset({502, 504})


def form_fields(params: Mapping[str, Any]) -> dict[str, str | list[str]]:
    """The multipart text fields of a create: `prompt[<name>]`, booleans as true/false.

    An array parameter (a list) is `prompt[<name>][]` with its items in order, one part
    each. Uploaded files (`{"file_sha256": ...}`) are not fields; the executor sends them
    as parts.
    """
    out: dict[str, str | list[str]] = {}
    for name, value in params.items():
        if value is None or isinstance(value, dict):
            continue
        if isinstance(value, list):
            items = [_text(v) for v in value if not isinstance(v, dict)]
            if items:
                out[f"prompt[{name}][]"] = items
            continue
        out[f"prompt[{name}]"] = _text(value)
    return out


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def file_part_name(name: str) -> str:
    """The part name of an upload: `prompt[input_image]`, or `prompt[image_references][]`
    for item `image_references[i]` of an array parameter."""
    base, bracket, _ = name.partition("[")
    return f"prompt[{base}][]" if bracket else f"prompt[{name}]"


def classify(status: int) -> Outcome:
    """What a create's HTTP status means for exactly-once."""
    if status in (200, 201):
        return "created"
    if status in RETRY_STATUSES:
        return "retry"
    if status in UNKNOWN_STATUSES:
        return "unknown"
    if status in (401, 403):
        return "auth"
    if status == 404:
        return "gone"
    if 400 <= status < 500:
        return "invalid"
    return "retry"  # other 5xx: refused before processing, like 500


def api_message(status: int, body: bytes) -> str:
    """The API's error, one line: `{"field": ["msg", ...]}` flattened to `field: msg; ...`."""
    try:
        data = json.loads(body.decode("utf-8", errors="replace"))
    except ValueError:
        text = body.decode("utf-8", errors="replace").strip().replace("\n", " ")
        return f"HTTP {status}" + (f": {text[:200]}" if text else "")
    parts: list[str] = []
    if isinstance(data, dict):
        for field, msgs in data.items():
            if isinstance(msgs, list):
                parts.extend(f"{field}: {m}" for m in msgs)
            elif isinstance(msgs, dict):
                parts.extend(f"{field}: {k} {v}" for k, v in msgs.items())
            else:
                parts.append(f"{field}: {msgs}" if field not in ("error", "message") else str(msgs))
    elif isinstance(data, list):
        parts.extend(str(m) for m in data)
    else:
        parts.append(str(data))
    return f"HTTP {status}: " + "; ".join(parts) if parts else f"HTTP {status}"


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with full jitter, capped; `Retry-After` is a floor."""

    base: float = 0.5
    cap: float = 60.0
    attempts: int = 12

    def delay(
        self, attempt: int, after: float | None = None, rng: random.Random | None = None
    ) -> float:
        """Seconds to sleep before retry number `attempt` (1 for the first retry)."""
        ceiling = min(self.cap, self.base * (2 ** min(attempt - 1, 30)))
        jitter = (rng or random).uniform(0, ceiling)
        if after is not None:
            return min(self.cap, max(after, jitter))
        return jitter


def encodings(secret: str) -> set[str]:
    """Every form in which a secret could reach a text we show or store: as sent,
    URL-encoded, escaped in JSON (ASCII or not), as Python's repr, and HTML-escaped."""
    import html
    import json
    from urllib.parse import quote, quote_plus

    forms = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret),
             json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1],
             repr(secret)[1:-1], html.escape(secret), html.escape(secret, quote=False)}
    return {f for f in forms if f.strip()}


class Redactor:
    """Scrubs the API key, and credentials in the base URL, from any text we show or store."""

    def __init__(self, key: str, base_url: str) -> None:
        parts = urlsplit(base_url)
        self._secrets = secret_forms((key, parts.username, parts.password))
        if parts.username or parts.password:
            host = parts.hostname or ""
            if parts.port:
                host += f":{parts.port}"
            self.safe_base_url = urlunsplit((parts.scheme, host, parts.path, "", ""))
        else:
            self.safe_base_url = base_url

    def __call__(self, text: str) -> str:
        return scrub(text, self._secrets)


def secret_forms(secrets: Iterable[str | None]) -> list[str]:
    """Every form of every secret (as given and stripped; see `encodings`), longest first,
    so that no shorter form leaves part of a longer one standing."""
    raw = {form for s in secrets if s and s.strip() for form in (s, s.strip())}
    return sorted({form for s in raw for form in encodings(s)}, key=len, reverse=True)


def scrub(text: str, forms: Iterable[str]) -> str:
    """`text` with each of `forms` (from `secret_forms`) replaced by `***`."""
    for form in forms:
        text = text.replace(form, "***")
    return text


def describe(exc: BaseException) -> str:
    """One line naming a transport error, without URLs or headers."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
