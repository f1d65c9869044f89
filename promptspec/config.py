"""Configuration: `[tool.promptspec]` in the nearest `pyproject.toml`.

Keys: `select`, `ignore` (rule codes or prefixes: `PS2` selects PS201-PS209),
`per-file-ignores` (glob relative to the pyproject's folder -> codes), `max-requests`,
`base-url`, `cost-per-image-mc` (the estimated cost of one image, in the unit of the API's
`cost_mc`, for `diff`, and `run --max-cost-mc`'s estimate before the API reports a cost),
`api` (the API profile: `current`, the default, or `reference`), `cache-dir` (the lint
cache's folder, relative to the pyproject's folder; default `.promptspec_cache` at the
project root). Command-line options override it. A malformed table is one `ConfigError`
naming the file (exit 2).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from functools import lru_cache

from promptspec.errors import ConfigError
from promptspec.model import record
from promptspec.paths import nearest

__all__ = ["DEFAULT_MAX_REQUESTS", "Config", "find_pyproject", "load_config"]

DEFAULT_MAX_REQUESTS = 1000
_CODE = re.compile(r"^PS\d{0,3}$")
_KEYS = {"select", "ignore", "per-file-ignores", "max-requests", "base-url",
         "cost-per-image-mc", "api", "cache-dir"}
_PROFILES = ("current", "reference")


@record
class Config:
    path: str | None = None
    """The pyproject.toml it came from (None: defaults)."""
    root: str = "."
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    max_requests: int = DEFAULT_MAX_REQUESTS
    base_url: str | None = None
    cost_per_image_mc: int | None = None
    api: str = "current"
    """The API profile whose parameter table and rules apply."""
    cache_dir: str | None = None
    """`cache-dir` as written (None: `.promptspec_cache` at the project root)."""


def find_pyproject(start: str) -> str | None:
    d = os.path.abspath(start if os.path.isdir(start) else os.path.dirname(start) or ".")
    found = nearest(d, "pyproject.toml", os.path.isfile)
    return None if found is None else os.path.join(found, "pyproject.toml")


class Configs:
    """`load_config` once per folder of the files asked about; `check` (when given) sees each
    configuration file once, when it is first found."""

    def __init__(self, check: Callable[[Config], None] | None = None) -> None:
        self._by_dir: dict[str, Config] = {}
        self._checked: set[str] = set()
        self._check = check

    def of(self, path: str) -> Config:
        """The configuration that applies to the file `path`."""
        d = os.path.dirname(os.path.abspath(path))
        cfg = self._by_dir.get(d)
        if cfg is None:
            cfg = self._by_dir[d] = load_config(d)
            if self._check is not None and cfg.path is not None and cfg.path not in self._checked:
                self._checked.add(cfg.path)
                self._check(cfg)
        return cfg


def _codes(path: str, key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise ConfigError(f"{path}: [tool.promptspec] {key} must be a list of rule codes")
    for c in value:
        if not _CODE.match(c.strip().upper()):
            raise ConfigError(f"{path}: [tool.promptspec] {key}: {c!r} is not a rule code "
                              "(like PS101) or prefix (like PS1)")
    return tuple(c.strip().upper() for c in value)


def load_config(start: str = ".") -> Config:
    """The configuration that applies to `start` (a file or folder)."""
    path = find_pyproject(start)
    if path is None:
        return Config()
    try:
        st = os.stat(path)
    except OSError:
        return _load(path, 0, -1)
    return _load(path, st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=32)
def _load(path: str, mtime_ns: int, size: int) -> Config:
    """The parsed table; `mtime_ns` and `size` only key the cache, so an edited file is re-read."""
    from promptspec.errors import SpecReadError
    from promptspec.load import MAX_SPEC_BYTES, read_bytes

    try:
        raw = read_bytes(path)  # a regular file only, never a FIFO; bounded
    except SpecReadError as err:
        raise ConfigError(str(err)) from None
    if len(raw) > MAX_SPEC_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_SPEC_BYTES:,} bytes")
    root = os.path.dirname(path)
    if b"promptspec" not in raw:  # no table of ours: not worth tomllib's import (2 ms)
        return Config(path=None, root=root)
    import tomllib

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not valid UTF-8 (byte 0x{raw[err.start]:02x} at offset "
                          f"{err.start})") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: invalid TOML: {err}") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML: arrays or tables nest too deeply") from None
    tool = data.get("tool", {})
    table = tool.get("promptspec") if isinstance(tool, dict) else None
    if table is None:
        return Config(path=None, root=root)
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.promptspec] must be a table")
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise ConfigError(f"{path}: [tool.promptspec] unknown key {unknown[0]!r} "
                          f"(known: {', '.join(sorted(_KEYS))})")
    select = _codes(path, "select", table["select"]) if "select" in table else None
    ignore = _codes(path, "ignore", table.get("ignore", []))
    pfi_raw = table.get("per-file-ignores", {})
    if not isinstance(pfi_raw, dict):
        raise ConfigError(f"{path}: [tool.promptspec] per-file-ignores must be a table of "
                          "glob = [codes]")
    pfi = tuple((glob, _codes(path, f"per-file-ignores.{glob}", codes))
                for glob, codes in pfi_raw.items())
    max_requests = table.get("max-requests", DEFAULT_MAX_REQUESTS)
    if isinstance(max_requests, bool) or not isinstance(max_requests, int) or max_requests < 1:
        raise ConfigError(f"{path}: [tool.promptspec] max-requests must be a positive integer")
    base_url = table.get("base-url")
    if base_url is not None and (
        not isinstance(base_url, str) or not base_url.startswith(("http://", "https://"))
    ):
        raise ConfigError(f"{path}: [tool.promptspec] base-url must be an http(s) URL")
    cost = table.get("cost-per-image-mc")
    if cost is not None and (isinstance(cost, bool) or not isinstance(cost, int) or cost < 0):
        raise ConfigError(f"{path}: [tool.promptspec] cost-per-image-mc must be a "
                          "non-negative integer")
    api = table.get("api", "current")
    if api not in _PROFILES:
        raise ConfigError(f"{path}: [tool.promptspec] api must be one of: "
                          f"{', '.join(_PROFILES)} (got {api!r})")
    cache_dir = table.get("cache-dir")
    if cache_dir is not None and (not isinstance(cache_dir, str) or not cache_dir.strip()
                                  or "\0" in cache_dir):
        raise ConfigError(f"{path}: [tool.promptspec] cache-dir must be a folder path")
    return Config(path, root, select, ignore, pfi, max_requests, base_url, cost, api,
                  cache_dir=cache_dir)
