"""The lint cache: each file's findings, kept as ruff and mypy keep theirs, so that a second
`lint` of unchanged files does no parsing at all.

    folder_for(root, config)        `.promptspec_cache/` at the project root, or `cache-dir`
    LintCache.get(...) / .put(...)  one JSON entry per spec file, named by its real path
    LintCache.flush()               write what `put` kept (`taken()` / `add()` carry it over
                                    from a worker process)
    forget(path, config)            drop a file's entry (`--fix` and `fmt` after writing)

An entry is used only while everything its findings depend on is unchanged: the file's
bytes, promptspec's version, the API profile, the effective configuration (the whole
`[tool.promptspec]` table, the project root) and the path as shown (part of the key), and
the digest of every file it imports, at any depth, and of every file named with `file(...)`
(checked one by one). Findings are stored with their severity but before the rule selection,
`per-file-ignores` and `# promptspec: ignore` comments, which apply afresh on every run, so
`--select` never misses the cache.

Entries live in 16 files (`lint/bucket-<h>.json`, by the first hex digit of the entry's
name), not one file each: creating a file is the dear part of writing (a
thousand new files cost more system time than checking a tenth of them), and a run reads
and writes each bucket at most once. Two runs writing at once may lose some of each other's
entries (each rereads a bucket just before replacing it): a lost entry is only a miss.

Nothing is trusted that another user could have written: the folder must be a real folder
owned by the current user and writable by no one else, and each bucket a regular file owned
by the user (opened without following links); buckets are plain JSON (never pickle), and a
corrupt, foreign or stale entry or bucket is ignored and rewritten. Writes are atomic (a
temporary file renamed over the old one), without fsync: a lost entry is only a miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from collections.abc import Iterable, Sequence
from typing import Any

from promptspec import __version__
from promptspec.config import Config
from promptspec.diagnostics import Code, Diagnostic, Edit
from promptspec.lint.digests import Digests, digest
from promptspec.model import Span
from promptspec.paths import atomic_write, project_root, trusted

__all__ = ["FOLDER_NAME", "FORMAT", "Entries", "LintCache", "cache_in", "entry_key", "folder_for",
           "forget"]

FOLDER_NAME = ".promptspec_cache"
FORMAT = 3
"""Part of every key and bucket: raised whenever the findings of unchanged inputs change
without a new version (2: lint renders every distinct combination of a template's values,
within a budget), or the way entries are kept changes (3: in buckets), so that no entry from
before hides a finding."""
_ENTRIES = "lint"
_GITIGNORE = "# Created by promptspec: nothing here belongs in version control.\n*\n"
_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
        "# This file is a cache directory tag created by promptspec.\n")


def folder_for(root: str, config: Config) -> str:
    """The cache folder for a spec of the project at `root`: `cache-dir` from the
    configuration (relative to its pyproject.toml), else `.promptspec_cache` at the root."""
    if config.cache_dir is not None:
        return os.path.normpath(os.path.join(config.root, os.path.expanduser(config.cache_dir)))
    return os.path.join(root, FOLDER_NAME)


def cache_in(caches: dict[str, LintCache], folder: str) -> LintCache:
    """The run's cache of `folder`, made on first use."""
    cache = caches.get(folder)
    if cache is None:
        cache = caches[folder] = LintCache(folder)
    return cache


def _safe_folder(folder: str) -> bool:
    """A real folder (not a link), owned by this user, that no one else can write to."""
    try:
        return trusted(os.lstat(folder), stat.S_IFDIR)
    except OSError:
        return False


def _make_folder(folder: str) -> None:
    try:
        os.makedirs(os.path.dirname(folder) or ".", exist_ok=True)
        os.mkdir(folder, 0o700)
    except FileExistsError:
        return
    except OSError:
        return
    with contextlib.suppress(OSError):
        atomic_write(os.path.join(folder, ".gitignore"), _GITIGNORE, sync=False, mode=0o644)
        atomic_write(os.path.join(folder, "CACHEDIR.TAG"), _TAG, sync=False, mode=0o644)


# -- findings as JSON ---------------------------------------------------------------------


def _encode(d: Diagnostic) -> list[Any]:
    s = d.span
    fix = None if d.fix is None else [
        [e.line, e.column, e.end_line, e.end_column, e.text] for e in d.fix]
    return [d.code, d.message, s.path, s.line, s.column, s.end_line, s.end_column,
            d.prompt, d.severity, fix]


def _decode(item: list[Any]) -> Diagnostic:
    code, message, path, line, column, end_line, end_column, prompt, severity, fix = item
    ints = (line, column, end_line, end_column)
    if not (isinstance(code, str) and isinstance(message, str) and isinstance(path, str)
            and all(type(i) is int for i in ints) and severity in ("error", "warning")
            and (prompt is None or isinstance(prompt, str))):
        raise ValueError("malformed finding")
    edits = None
    if fix is not None:
        edits = tuple(_edit(e) for e in fix)
    return Diagnostic(Code(code), message,  # an unknown code: ValueError, like any bad field
                      Span(path, line, column, end_line, end_column), prompt, severity, edits)


def _edit(e: list[Any]) -> Edit:
    line, column, end_line, end_column, text = e
    if not (all(type(i) is int for i in (line, column, end_line, end_column))
            and isinstance(text, str)):
        raise ValueError("malformed edit")
    return Edit(line, column, end_line, end_column, text)


# -- the cache ----------------------------------------------------------------------------


def _entry_name(real: str, profile: str | None) -> str:
    return hashlib.sha256(f"{real}\0{profile}".encode()).hexdigest()[:32]


def _bucket_of(name: str) -> str:
    return f"bucket-{name[0]}.json"


def entry_key(shown: str, real: str, root: str, data_digest: str, config: str,
              profile: str | None, max_requests: int) -> str:
    """What a file's findings depend on besides the files it reads: one digest. `config`:
    the effective configuration, written out whole (`Digests.described`)."""
    parts = [FORMAT, __version__, profile, config, root, shown, real, data_digest,
             max_requests]
    return digest(json.dumps(parts, ensure_ascii=False, default=repr).encode())


Entries = dict[str, Any]
"""Entry name -> entry (a JSON object: key, deps, findings), as a bucket holds them."""


class LintCache:
    """The entries of one cache folder; unusable (every lookup a miss, nothing written)
    when the folder cannot be made safe. Entries `put` are kept until `flush`."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.entries = os.path.join(folder, _ENTRIES)
        self._usable: bool | None = None
        self._read_buckets: dict[str, Entries] = {}
        self._pending: Entries = {}

    def usable(self) -> bool:
        if self._usable is None:
            if not os.path.lexists(self.folder):
                _make_folder(self.folder)
            ok = _safe_folder(self.folder)
            if ok and not os.path.lexists(self.entries):
                with contextlib.suppress(OSError):
                    os.mkdir(self.entries, 0o700)
            self._usable = ok and _safe_folder(self.entries)
        return self._usable

    def _read(self, bucket: str) -> Entries:
        """A bucket's entries as stored (none when it is missing, foreign or damaged)."""
        try:
            fd = os.open(os.path.join(self.entries, bucket), os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            return {}
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid():
                return {}
            with os.fdopen(fd, "rb", closefd=False) as f:
                raw = f.read(256 * 1024 * 1024)
        except OSError:
            return {}
        finally:
            os.close(fd)
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            return {}
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            return {}
        found = data.get("entries")
        return found if isinstance(found, dict) else {}

    def _bucket(self, name: str) -> Entries:
        bucket = _bucket_of(name)
        entries = self._read_buckets.get(bucket)
        if entries is None:
            entries = self._read_buckets[bucket] = self._read(bucket)
        return entries

    def holds(self, real: str, profile: str | None) -> bool:
        """Whether there is an entry for the file at all (current or not)."""
        if not self.usable():
            return False
        name = _entry_name(real, profile)
        return name in self._bucket(name)

    def get(self, real: str, profile: str | None, key: str,
            digests: Digests) -> list[Diagnostic] | None:
        """The stored findings, or None when there is no trustworthy, current entry."""
        if not self.usable():
            return None
        name = _entry_name(real, profile)
        entry = self._bucket(name).get(name)
        try:
            if not isinstance(entry, dict) or entry.get("key") != key:
                return None
            deps = entry["deps"]
            if not isinstance(deps, list):
                return None
            for dep, known in deps:
                if not isinstance(dep, str) or digests.of(dep) != known:
                    return None
            return [_decode(item) for item in entry["findings"]]
        except (KeyError, TypeError, ValueError):
            return None

    def put(self, real: str, profile: str | None, key: str, deps: Iterable[tuple[str, str]],
            findings: Sequence[Diagnostic]) -> None:
        """Keep a file's findings, to be written by `flush`."""
        self._pending[_entry_name(real, profile)] = {
            "key": key, "deps": sorted(set(deps)), "findings": [_encode(d) for d in findings]}

    def taken(self) -> Entries:
        """The entries kept and not yet written, handed over (to the process that writes)."""
        pending, self._pending = self._pending, {}
        return pending

    def add(self, entries: Entries) -> None:
        """Entries another process kept, to be written by `flush`."""
        self._pending.update(entries)

    def flush(self) -> None:
        """Write the entries kept, each bucket once: reread, updated and replaced whole (best
        effort: a cache that cannot be written is no error)."""
        pending = self.taken()
        if not pending or not self.usable():
            return
        by_bucket: dict[str, Entries] = {}
        for name, entry in pending.items():
            by_bucket.setdefault(_bucket_of(name), {})[name] = entry
        for bucket, entries in by_bucket.items():
            stored = self._read(bucket)
            stored.update(entries)
            self._write(bucket, stored)

    def _write(self, bucket: str, entries: Entries) -> None:
        data = json.dumps({"format": FORMAT, "entries": entries}, ensure_ascii=False,
                          separators=(",", ":"))
        with contextlib.suppress(OSError):
            atomic_write(os.path.join(self.entries, bucket), data, sync=False, mode=0o600)
        self._read_buckets.pop(bucket, None)

    def drop(self, names: Sequence[str]) -> None:
        """Remove the entries of these names, where they are stored."""
        for bucket in {_bucket_of(n) for n in names}:
            stored = self._read(bucket)
            gone = [n for n in names if n in stored]
            for n in gone:
                del stored[n]
            if gone:
                self._write(bucket, stored)


def forget(path: str, config: Config) -> None:
    """Drop every entry of `path` (after `--fix` or `fmt` rewrote it)."""
    cache = LintCache(folder_for(project_root(path), config))
    if not os.path.isdir(cache.entries) or not _safe_folder(cache.entries):
        return
    real = os.path.realpath(path)
    cache.drop([_entry_name(real, profile) for profile in _PROFILES])


_PROFILES: tuple[str | None, ...] = (None, "current", "reference")
"""Every profile an entry may be stored under."""
