"""The public Python API: what the command line calls, and what a Python user may call too.

    expand(paths, prompt=None)   -> Iterator[Request]    (raises SpecError on errors)
    count(paths, prompt=None)    -> list[(spec, prompt, n)], without enumerating
    lint(paths)                  -> list[Diagnostic]      (every finding, severities applied)
    lock(paths=())               -> LockWritten           (writes promptspec.lock)
    check_lock(paths=())         -> list[Diagnostic]      (PS408 per stale, missing, orphan)
    diff(args=())                -> Review                ([REV] [PATH]...: REV vs working tree)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, NamedTuple

from promptspec.diagnostics import Diagnostic, sort_key
from promptspec.errors import SpecError, UsageError
from promptspec.expand import PreparedPrompt, expand_prompt, prepare
from promptspec.files import DISK, FileReader
from promptspec.request import Request

if TYPE_CHECKING:
    from promptspec.lock import LockEntry
    from promptspec.review import Review

__all__ = ["LockWritten", "check_lock", "count", "diff", "expand", "lint", "lock", "prepared"]


def lint(paths: Sequence[str]) -> list[Diagnostic]:
    """Every finding for the given spec files, severities applied, sorted."""
    from promptspec.lint import lint_files

    return lint_files(paths)


def prepared(paths: Sequence[str], prompt: str | None = None,
             reader: FileReader = DISK) -> Iterator[PreparedPrompt]:
    """Each prompt of each spec, prepared for expansion, after checking the specs lint clean.
    Specs, imports and uploads are read through `reader` (default: the disk)."""
    from promptspec.lint import lint_paths

    result = lint_paths(paths, reader=reader)
    errors = [d for d in result.diagnostics if d.severity == "error"]
    if errors:
        raise SpecError("\n".join(str(d) for d in sorted(errors, key=sort_key)))
    found = False
    for res in result.resolutions:  # resolved once, by the lint that vetted them
        for rp in res.prompts:
            if prompt is not None and rp.prompt.name != prompt:
                continue
            found = True
            yield prepare(rp, res.path, res.root, res.reader)
    if prompt is not None and not found:
        raise UsageError(f"no prompt named {prompt!r} in {', '.join(paths)}")


def expand(paths: Sequence[str], prompt: str | None = None) -> Iterator[Request]:
    """Stream every request of the specs, in order. Raises SpecError when a spec has errors."""
    for pp in prepared(paths, prompt):
        yield from expand_prompt(pp)


def count(paths: Sequence[str], prompt: str | None = None) -> list[tuple[str, str, int]]:
    """(spec, prompt, number of requests) for each prompt: a product of axis sizes."""
    return [(pp.spec_label, pp.rp.prompt.name, pp.count()) for pp in prepared(paths, prompt)]


# -- review: the lock file and diff ---------------------------------------------------------


class LockWritten(NamedTuple):
    path: str
    prompts: int
    """Prompts locked by this run."""
    changed: bool
    """Whether the file's content changed."""


def _root() -> str:
    from promptspec.resolve import folder_root

    return folder_root(os.getcwd())


def _rel(path: str, root: str) -> str:
    return os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")


def _lock_scope(paths: Sequence[str], root: str) -> tuple[list[str], Callable[[str], bool]]:
    """The spec files to lock, and which lock lines they own (with no path: all of them)."""
    from promptspec.discover import discover

    if not paths:
        return discover([os.path.relpath(root)]), lambda spec: True
    specs = discover(paths)
    files = {_rel(p, root) for p in specs}
    folders = [_rel(p, root) for p in paths if os.path.isdir(p)]
    return specs, lambda spec: spec in files or any(
        f == "." or spec.startswith(f + "/") for f in folders)


def _lock_entries(specs: Sequence[str], root: str) -> Iterator[tuple[LockEntry, PreparedPrompt]]:
    from promptspec.lock import entry_of

    for pp in prepared(specs):
        yield entry_of(pp, _rel(pp.spec_label, root)), pp


def lock(paths: Sequence[str] = ()) -> LockWritten:
    """Write `promptspec.lock` at the project root for the given specs (default: every spec
    under the root), keeping the lines of other specs. Raises SpecError on lint errors."""
    from promptspec.lock import LOCK_NAME, read_lock, render_lock

    root = _root()
    path = os.path.join(root, LOCK_NAME)
    specs, owned = _lock_scope(paths, root)
    entries = [e for e, _ in _lock_entries(specs, root)]
    kept = [line.entry for line in read_lock(path) or ()
            if line.entry is not None and not owned(line.entry.spec)]
    text = render_lock([*kept, *entries])
    try:
        with open(path, encoding="utf-8") as f:
            changed = f.read() != text
    except FileNotFoundError:
        changed = True
    if changed:
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    return LockWritten(path, len(entries), changed)


def check_lock(paths: Sequence[str] = ()) -> list[Diagnostic]:
    """PS408 findings: prompts whose requests differ from the lock or are missing from it,
    and lock lines whose prompt is gone. Writes nothing."""
    from promptspec.lock import LOCK_NAME, read_lock, stale_findings

    root = _root()
    path = os.path.join(root, LOCK_NAME)
    specs, owned = _lock_scope(paths, root)
    current = [(e, pp.rp.prompt.name_span) for e, pp in _lock_entries(specs, root)]
    found = stale_findings(current, read_lock(path), os.path.relpath(path), owned)
    return sorted(found, key=sort_key)


def diff(args: Sequence[str] = ()) -> Review:
    """`[REV] [PATH]...`: the requests of the specs at git revision REV (default HEAD; files
    and imports read from it) against the working tree. Raises UsageError (exit 2) outside a
    git repository, for a bad revision, or for a path on neither side."""
    from promptspec.config import load_config
    from promptspec.discover import discover
    from promptspec.gitrev import Revision, resolve_commit, work_tree
    from promptspec.review import Review, compare, requests_of

    top = work_tree(".")
    paths = list(args)
    rev, rev_given = "HEAD", False
    if paths and resolve_commit(top, paths[0]) is not None:
        rev, rev_given = paths.pop(0), True
    commit = resolve_commit(top, rev)
    if commit is None:
        raise UsageError(f"{rev!r} is not a revision of the repository at {top}")
    root = _root()
    config = load_config(root)
    with Revision(top, rev, commit) as revision:
        new_specs: list[str] = []
        old_specs: list[str] = []
        for i, p in enumerate(paths or ["."]):
            on_disk, at_rev = os.path.exists(p), revision.exists(p)
            if not on_disk and not at_rev:
                what = "a revision, nor " if i == 0 and not rev_given else ""
                raise UsageError(f"{p!r} is not {what}a path in the working tree or at {rev}")
            if on_disk:
                new_specs.extend(discover([p]))
            old_specs.extend(revision.specs(p))
        old: dict[tuple[str, str], dict[str, int]] = {}
        try:
            for pp in prepared(list(dict.fromkeys(old_specs)), reader=revision):
                old[(_rel(pp.spec_label, root), pp.rp.prompt.name)] = requests_of(pp)
        except SpecError as err:
            raise SpecError(f"at {rev}:\n{err}") from None
    changes = []
    for pp in prepared(list(dict.fromkeys(new_specs))):
        key = (_rel(pp.spec_label, root), pp.rp.prompt.name)
        change = compare(*key, old.pop(key, {}), requests_of(pp), config.max_requests)
        if change is not None:
            changes.append(change)
    for key, requests in old.items():  # prompts gone from the working tree
        change = compare(*key, requests, {}, config.max_requests)
        if change is not None:
            changes.append(change)
    changes.sort(key=lambda c: (c.spec, c.prompt))
    return Review(rev, tuple(changes), config.cost_per_image_mc)
