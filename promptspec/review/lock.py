"""The lock file, `promptspec.lock`: per prompt, its request and image counts and a digest of
its request ids, so that a review sees when a change alters what the specs would send.

One JSON object per line, `{"spec", "prompt", "requests", "images", "digest"}` in that order,
sorted by spec path then prompt name. Counting and hashing stream the expansion: a sweep of
any size locks in constant memory.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from promptspec.diagnostics import Code, Diagnostic
from promptspec.expand import PreparedPrompt, expand_prompt
from promptspec.lint.engine import filter_findings
from promptspec.load import DISK, FileReader, discover
from promptspec.model import Span
from promptspec.paths import atomic_write, folder_root
from promptspec.request import images_of

__all__ = [
    "LOCK_NAME",
    "LockEntry",
    "LockLine",
    "LockWritten",
    "Prepare",
    "check_lock",
    "entry_of",
    "read_lock",
    "relative_spec",
    "render_lock",
    "stale_findings",
    "write_lock",
]

LOCK_NAME = "promptspec.lock"
_KEYS = ("spec", "prompt", "requests", "images", "digest")


@dataclass(frozen=True, slots=True)
class LockEntry:
    spec: str
    """The spec's path relative to the project root, with `/` separators."""
    prompt: str
    requests: int
    images: int
    digest: str
    """`sha256:` + the hex SHA-256 of the request ids in expansion order, each + newline."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.spec, self.prompt)

    def to_line(self) -> str:
        obj = {"spec": self.spec, "prompt": self.prompt, "requests": self.requests,
               "images": self.images, "digest": self.digest}
        return json.dumps(obj, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class LockLine:
    """A line of an existing lock file: its number, and its entry (None when malformed)."""

    number: int
    entry: LockEntry | None
    text: str


def entry_of(pp: PreparedPrompt, spec: str) -> LockEntry:
    """Count and hash a prompt's requests as they stream by (nothing kept per request)."""
    digest = hashlib.sha256()
    update = digest.update
    requests = images = 0
    for req in expand_prompt(pp):
        update(f"{req.id}\n".encode())
        requests += 1
        images += images_of(req.params)
    return LockEntry(spec, pp.rp.prompt.name, requests, images, "sha256:" + digest.hexdigest())


def render_lock(entries: Iterable[LockEntry]) -> str:
    """The lock file's text: lines sorted by spec path's string, then prompt name."""
    return "".join(e.to_line() + "\n" for e in sorted(entries, key=lambda e: e.key))


def _parse(text: str) -> LockEntry | None:
    try:
        obj = json.loads(text)
    except ValueError:
        return None
    if not isinstance(obj, dict) or tuple(obj) != _KEYS:
        return None
    spec, prompt, requests, images, digest = (obj[k] for k in _KEYS)
    if not (isinstance(spec, str) and isinstance(prompt, str) and isinstance(digest, str)
            and all(isinstance(n, int) and not isinstance(n, bool) for n in (requests, images))):
        return None
    return LockEntry(spec, prompt, requests, images, digest)


def read_lock(path: str) -> list[LockLine] | None:
    """The lines of the lock file at `path` (blank lines skipped); None when there is none."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            text = f.read()
    except FileNotFoundError:
        return None
    return [LockLine(i, _parse(line), line)
            for i, line in enumerate(text.splitlines(), 1) if line.strip()]


def _counts(requests: int, images: int) -> str:
    return (f"{requests} request{'s' * (requests != 1)}, "
            f"{images} image{'s' * (images != 1)}")


def stale_findings(current: list[tuple[LockEntry, Span]], lines: list[LockLine] | None,
                   lock_shown: str, in_scope: Callable[[str], bool]) -> list[Diagnostic]:
    """PS408 for each prompt whose requests differ from its lock line or that has none (at
    the prompt's name), and for each lock line in scope whose prompt is gone (at the line)."""
    out: list[Diagnostic] = []
    locked: dict[tuple[str, str], LockEntry] = {}
    for line in lines or ():
        if line.entry is not None:
            locked.setdefault(line.entry.key, line.entry)
    name = os.path.basename(lock_shown)
    for entry, span in current:
        old = locked.get(entry.key)
        if old is None:
            why = (f"prompt {entry.prompt!r} is missing from {name} "
                   f"({_counts(entry.requests, entry.images)}); run `promptspec lock`")
        elif old.digest != entry.digest or (old.requests, old.images) != (
                entry.requests, entry.images):
            change = ("its requests changed" if (old.requests, old.images) == (
                entry.requests, entry.images) else
                f"{_counts(entry.requests, entry.images)}, locked "
                f"{_counts(old.requests, old.images)}")
            why = f"prompt {entry.prompt!r} is stale in {name}: {change}; run `promptspec lock`"
        else:
            continue
        out.append(Diagnostic(Code.STALE_LOCK, why, span, prompt=entry.prompt))
    now = {e.key for e, _ in current}
    for line in lines or ():
        span = Span(lock_shown, line.number, 1, line.number, len(line.text) + 1)
        if line.entry is None:
            out.append(Diagnostic(Code.STALE_LOCK, "not a lock entry; run `promptspec lock`", span))
        elif line.entry.key not in now and in_scope(line.entry.spec):
            out.append(Diagnostic(
                Code.STALE_LOCK,
                f"locked prompt {line.entry.prompt!r} of {line.entry.spec} no longer "
                "exists; run `promptspec lock`", span, prompt=line.entry.prompt))
    return out


# -- locking a project ----------------------------------------------------------------------


class Prepare(Protocol):
    """`api.prepared`: the prompts of specs that lint clean, ready to expand."""

    def __call__(self, paths: Sequence[str], prompt: str | None = None,
                 reader: FileReader = DISK) -> Iterator[PreparedPrompt]: ...


class LockWritten(NamedTuple):
    path: str
    prompts: int
    """Prompts locked by this run."""
    changed: bool
    """Whether the file's content changed."""


def relative_spec(path: str, root: str) -> str:
    """A spec's path as the lock and `diff` name it: relative to the project root, `/`-separated."""
    return os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")


def _scope(paths: Sequence[str], root: str) -> tuple[list[str], Callable[[str], bool]]:
    """The spec files to lock, and which lock lines they own (with no path: all of them)."""
    if not paths:
        return discover([os.path.relpath(root)]), lambda spec: True
    specs = discover(paths)
    files = {relative_spec(p, root) for p in specs}
    folders = [relative_spec(p, root) for p in paths if os.path.isdir(p)]
    return specs, lambda spec: spec in files or any(
        f == "." or spec.startswith(f + "/") for f in folders)


def _entries(specs: Sequence[str], root: str,
             prepare: Prepare) -> Iterator[tuple[LockEntry, PreparedPrompt]]:
    for pp in prepare(specs):
        yield entry_of(pp, relative_spec(pp.spec_label, root)), pp


def write_lock(paths: Sequence[str], prepare: Prepare) -> LockWritten:
    """Write the lock at the project root (seen from the current folder) for the given specs
    (default: every spec under the root), keeping the lines of other specs."""
    root = folder_root(os.getcwd())
    path = os.path.join(root, LOCK_NAME)
    specs, owned = _scope(paths, root)
    entries = [e for e, _ in _entries(specs, root, prepare)]
    kept = [line.entry for line in read_lock(path) or ()
            if line.entry is not None and not owned(line.entry.spec)]
    text = render_lock([*kept, *entries])
    try:
        with open(path, encoding="utf-8", newline="") as f:
            changed = f.read() != text
    except FileNotFoundError:
        changed = True
    if changed:
        atomic_write(path, text)
    return LockWritten(path, len(entries), changed)


def check_lock(paths: Sequence[str], prepare: Prepare) -> list[Diagnostic]:
    """PS408 for the given specs (default: all) against the lock, filtered by the
    configuration and suppression comments as lint's findings are; writes nothing."""
    root = folder_root(os.getcwd())
    path = os.path.join(root, LOCK_NAME)
    specs, owned = _scope(paths, root)
    current = [(e, pp.rp.prompt.name_span) for e, pp in _entries(specs, root, prepare)]
    found = stale_findings(current, read_lock(path), os.path.relpath(path), owned)
    return filter_findings(found)
