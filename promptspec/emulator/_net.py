"""Address checks: the emulator binds, and calls back, only loopback hosts by default."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

__all__ = ["bind_host", "is_loopback_host", "is_loopback_url", "url_host"]


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, ::1 or `localhost` (brackets around IPv6 allowed)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def is_loopback_url(url: str) -> bool:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    return host is not None and is_loopback_host(host)


def bind_host(host: str) -> str:
    """The address to bind: `localhost` becomes 127.0.0.1 so that port 0 picks one port."""
    name = host.strip().strip("[]")
    return "127.0.0.1" if name.lower() == "localhost" else name


def url_host(host: str) -> str:
    """A host as it appears in a URL (IPv6 in brackets)."""
    return f"[{host}]" if ":" in host else host
