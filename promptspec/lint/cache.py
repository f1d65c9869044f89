"""The lint cache: each file's findings, kept as ruff and mypy keep theirs, so that a second
`lint` of unchanged files does no parsing at all.

    folder_for(root, config)        `.promptspec_cache/` at the project root, or `cache-dir`
    LintCache.get(...) / .put(...)  one JSON entry per spec file, named by its real path
    forget(path, config)            drop a file's entry (`--fix` and `fmt` after writing)

An entry is used only while everything its findings depend on is unchanged: the file's
bytes, promptspec's version, the API profile, the effective configuration (the whole
`[tool.promptspec]` table, the project root) and the path as shown (part of the key), and
the digest of every file it imports, at any depth, and of every file named with `file(...)`
(checked one by one). Findings are stored with their severity but before the rule selection,
`per-file-ignores` and `# promptspec: ignore` comments, which apply afresh on every run, so
`--select` never misses the cache.

Nothing is trusted that another user could have written: the folder must be a real folder
owned by the current user and writable by no one else, and each entry a regular file owned
by the user (opened without following links); entries are plain JSON (never pickle), and a
corrupt, foreign or stale entry is ignored and rewritten. Writes are atomic (a temporary
file renamed over the old one), without fsync: a lost entry is only a miss.
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
from promptspec.load import file_sha256
from promptspec.model import Span
from promptspec.paths import atomic_write, project_root, trusted

__all__ = ["FOLDER_NAME", "Digests", "LintCache", "digest", "folder_for", "forget"]

FOLDER_NAME = ".promptspec_cache"
FORMAT = 2
"""Part of every key: raised whenever the findings of unchanged inputs change without a new
version (2: lint renders every distinct combination of a template's values, within a
budget), so that no entry from before hides a finding."""
_ENTRIES = "lint"
_GITIGNORE = "# Created by promptspec: nothing here belongs in version control.\n*\n"
_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
        "# This file is a cache directory tag created by promptspec.\n")


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def folder_for(root: str, config: Config) -> str:
    """The cache folder for a spec of the project at `root`: `cache-dir` from the
    configuration (relative to its pyproject.toml), else `.promptspec_cache` at the root."""
    if config.cache_dir is not None:
        return os.path.normpath(os.path.join(config.root, os.path.expanduser(config.cache_dir)))
    return os.path.join(root, FOLDER_NAME)


class Digests:
    """The digest of each file a finding may depend on, read once per run. A missing file,
    a folder or an unreadable file get a marker of their own, so that its appearance counts
    as a change too. Also each file's real path and project root, its folder's worked out
    once (a warm run does little else per file)."""

    def __init__(self) -> None:
        self._memo: dict[str, str] = {}
        self._folders: dict[str, tuple[str, str]] = {}  # folder -> (real folder, root)

    def place(self, path: str) -> tuple[str, str]:
        """`path`'s real path and its project root."""
        folder, name = os.path.split(os.path.abspath(path))
        known = self._folders.get(folder)
        if known is None:
            known = self._folders[folder] = (os.path.realpath(folder), project_root(path))
        if os.path.islink(path):
            real = os.path.realpath(path)
            return real, project_root(real)
        return os.path.join(known[0], name), known[1]

    def of(self, path: str) -> str:
        real = self.place(path)[0]
        found = self._memo.get(real)
        if found is None:
            found = self._memo[real] = _file_state(real)
        return found

    def remember(self, real: str, data: bytes) -> str:
        """The digest of bytes just read from the file at `real` (kept for the run)."""
        found = self._memo[real] = digest(data)
        return found


def _file_state(real: str) -> str:
    try:
        return file_sha256(real)
    except FileNotFoundError:
        return "missing"
    except IsADirectoryError:
        return "folder"
    except OSError as err:
        return f"unreadable:{err.errno}"


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
    return hashlib.sha256(f"{real}\0{profile}".encode()).hexdigest()[:32] + ".json"


def entry_key(shown: str, real: str, root: str, data_digest: str, config: Config,
              profile: str | None, max_requests: int) -> str:
    """What a file's findings depend on besides the files it reads: one digest."""
    parts = [FORMAT, __version__, profile, repr(config), root, shown, real, data_digest,
             max_requests]
    return digest(json.dumps(parts, ensure_ascii=False, default=repr).encode())


class LintCache:
    """The entries of one cache folder; unusable (every lookup a miss, nothing written)
    when the folder cannot be made safe."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.entries = os.path.join(folder, _ENTRIES)
        self._usable: bool | None = None

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

    def _read(self, name: str) -> Any:
        try:
            fd = os.open(os.path.join(self.entries, name), os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid():
                return None
            with os.fdopen(fd, "rb", closefd=False) as f:
                raw = f.read(64 * 1024 * 1024)
        except OSError:
            return None
        finally:
            os.close(fd)
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):
            return None

    def get(self, real: str, profile: str | None, key: str,
            digests: Digests) -> list[Diagnostic] | None:
        """The stored findings, or None when there is no trustworthy, current entry."""
        if not self.usable():
            return None
        entry = self._read(_entry_name(real, profile))
        try:
            if (not isinstance(entry, dict) or entry.get("format") != FORMAT
                    or entry.get("key") != key):
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
        """Store a file's findings (best effort: a cache that cannot be written is no error)."""
        if not self.usable():
            return
        entry = {"format": FORMAT, "key": key, "deps": sorted(set(deps)),
                 "findings": [_encode(d) for d in findings]}
        data = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
        with contextlib.suppress(OSError):
            atomic_write(os.path.join(self.entries, _entry_name(real, profile)), data,
                         sync=False, mode=0o600)


def forget(path: str, config: Config) -> None:
    """Drop every entry of `path` (after `--fix` or `fmt` rewrote it)."""
    cache = LintCache(folder_for(project_root(path), config))
    if not os.path.isdir(cache.entries) or not _safe_folder(cache.entries):
        return
    real = os.path.realpath(path)
    for profile in _PROFILES:
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(cache.entries, _entry_name(real, profile)))


_PROFILES: tuple[str | None, ...] = (None, "current", "reference")
"""Every profile an entry may be stored under."""
