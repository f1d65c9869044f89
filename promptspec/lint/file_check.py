"""One file's findings before the rule selection (severities applied), and the files they
depend on: the unit of work that the lint cache stores and worker processes share out.

    check(path, parsed, config, ...)    -> (Resolution, findings)
    lookup(task, data, ...)             the findings the cache holds, if current
    check_and_store(task, data, ...)    the same through the cache: reused, or computed and kept
    dependencies(parsed, loaded)        every file imported (at any depth) or named by file(...)
"""

from __future__ import annotations

import os
import warnings
from typing import Any, NamedTuple

from promptspec.config import Config
from promptspec.diagnostics import Diagnostic
from promptspec.lint import rules
from promptspec.lint.cache import LintCache, cache_in, entry_key, folder_for
from promptspec.lint.digests import Digests
from promptspec.load import DISK, FileReader, Parsed, load_bytes
from promptspec.model import Field, FileRef, Literal, SpecFile
from promptspec.resolve import Resolution, resolve

__all__ = ["Task", "check", "check_and_store", "dependencies", "lookup", "severity"]


class Task(NamedTuple):
    """A file to check, and what the command line says beyond its configuration."""

    path: str
    max_requests: int | None = None
    profile: str | None = None


def severity(d: Diagnostic) -> Diagnostic:
    """The finding with its rule's severity."""
    rule = rules.RULES.get(d.code)
    return d if rule is None or rule.severity == d.severity else d.with_severity(rule.severity)


def check(path: str, parsed: Parsed, config: Config, max_requests: int | None,
          loaded: dict[str, Parsed], reader: FileReader = DISK, api: str | None = None
          ) -> tuple[Resolution, list[Diagnostic]]:
    """Resolve and check one parsed file; `loaded` (real path -> Parsed) is shared by the
    files of a run, so that an imported file is parsed once. `api`: the API profile asked
    for (else the configured one)."""
    res = resolve(path, parsed, cache=loaded, reader=reader)
    found = rules.check(res, max_requests=max_requests or config.max_requests,
                        profile=api or config.api)
    return res, [severity(d) for d in found]


def _field_lists(spec: SpecFile) -> list[tuple[Field, ...]]:
    """Every field of a spec file, list by list."""
    out: list[tuple[Field, ...]] = [(spec.tune,) if spec.tune is not None else (), spec.vars]
    for preset in spec.presets:
        out += (preset.fields, preset.vars)
    for prompt in spec.prompts:
        out += (prompt.fields, prompt.vars)
        for block in (prompt.sweep, prompt.zip):
            if block is not None:
                out.append(block.axes)
    return out


def _file_refs(value: Any, out: list[FileRef]) -> None:
    """Add the file references in `value` (a field's value) to `out`."""
    if isinstance(value, FileRef):
        out.append(value)
    for item in getattr(value, "items", ()):
        _file_refs(item, out)


def dependencies(parsed: Parsed, loaded: dict[str, Parsed]) -> list[str]:
    """The files a file's findings may depend on besides itself: each import's target, found
    or not, at any depth, and each file named with `file(...)` in any of them."""
    out: list[str] = []
    seen: set[str] = set()
    todo = [parsed.spec] if parsed.spec is not None else []
    while todo:
        spec = todo.pop()
        base = os.path.dirname(spec.path)
        refs: list[FileRef] = []
        for fields in _field_lists(spec):
            for f in fields:
                if type(f.value) is not Literal:  # nearly every value: nothing to look into
                    _file_refs(f.value, refs)
        out.extend(os.path.normpath(os.path.join(base, r.path)) for r in refs)
        for imp in spec.imports:
            target = os.path.normpath(os.path.join(base, imp.path))
            real = os.path.realpath(target)
            out.append(target)
            if real in seen:
                continue
            seen.add(real)
            child = loaded.get(real)
            if child is not None and child.spec is not None:
                todo.append(child.spec)
    return out


def _cache_of(root: str, config: Config, caches: dict[str, LintCache]) -> LintCache:
    return cache_in(caches, folder_for(root, config))


def _key(task: Task, real: str, root: str, data: bytes, config: Config,
         digests: Digests) -> str:
    return entry_key(task.path, real, root, digests.remember(real, data),
                     digests.described(config), task.profile,
                     task.max_requests or config.max_requests)


def _entry(task: Task, data: bytes, config: Config, digests: Digests,
           caches: dict[str, LintCache]) -> tuple[LintCache, str, str]:
    """The cache that holds `task.path`'s entry, its real path and the entry's key."""
    real, root = digests.place(task.path)
    return _cache_of(root, config, caches), real, _key(task, real, root, data, config, digests)


def lookup(task: Task, data: bytes, config: Config, digests: Digests,
           caches: dict[str, LintCache]) -> list[Diagnostic] | None:
    """The findings the cache holds for `task.path` (whose bytes are `data`), if current
    (the key worked out only when there is an entry to compare it with)."""
    real, root = digests.place(task.path)
    cache = _cache_of(root, config, caches)
    if not cache.holds(real, task.profile):
        return None
    key = _key(task, real, root, data, config, digests)
    return cache.get(real, task.profile, key, digests)


def check_and_store(task: Task, data: bytes, config: Config, digests: Digests,
                    caches: dict[str, LintCache] | None, loaded: dict[str, Parsed],
                    looked: bool = False) -> list[Diagnostic]:
    """The findings of `task.path` (whose bytes are `data`): from the cache when it holds a
    current entry (unless `looked`: the caller found none), else checked and stored (when
    `caches` is given)."""
    path = task.path
    if caches is None:
        parsed = _parsed(path, data, loaded)
        return check(path, parsed, config, task.max_requests, loaded, api=task.profile)[1]
    cache, real, key = _entry(task, data, config, digests, caches)
    if not looked:
        found = cache.get(real, task.profile, key, digests)
        if found is not None:
            return found
    parsed = _parsed(path, data, loaded, real)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        findings = check(path, parsed, config, task.max_requests, loaded, api=task.profile)[1]
    for w in caught:  # shown as they would have been; such a file is not stored
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if not caught:
        deps = [(digests.place(p)[0], digests.of(p)) for p in dependencies(parsed, loaded)]
        cache.put(real, task.profile, key, deps, findings)
    return findings


def _parsed(path: str, data: bytes, loaded: dict[str, Parsed], real: str | None = None
            ) -> Parsed:
    """The file parsed before in this run (an import), else parsed now; `real`: its real
    path, when known."""
    parsed = loaded.get(real if real is not None else os.path.realpath(path))
    if parsed is None or parsed.path != path:
        parsed = load_bytes(data, path)
    return parsed
