"""`promptspec lint --fix`: apply the text edits that fixable findings carry, then re-lint.

Edits are applied to the file's text, never by re-serialising a model: comments, quoting,
blank lines and layout stay byte for byte in both syntaxes (this is why YAML specs are
not loaded and dumped again by a YAML library). The file keeps its encoding, its BOM
and its line endings. Edits that overlap another chosen edit wait for the next pass;
identical edits proposed by two findings (both PS201 and PS202 setting
`super_resolution`) are applied once and fix both.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence

from promptspec.config import load_config
from promptspec.diagnostics import Diagnostic, Edit
from promptspec.errors import SpecReadError
from promptspec.lint.cache import forget
from promptspec.lint.engine import LintResult, Selection, lint_paths
from promptspec.load import BOM, read_bytes, strip_bom
from promptspec.model import record
from promptspec.paths import atomic_write, syntax_of
from promptspec.syntax import line_starts

__all__ = ["FixResult", "apply_edits", "fix_paths", "fix_source"]

MAX_PASSES = 10
_BREAKS = "\r\n\x85\u2028\u2029"


@record
class FixResult:
    fixed: int
    result: LintResult
    """The findings that remain after fixing (a fresh lint of the written files)."""


class _Offsets:
    """1-based (line, column) places of a text as string offsets."""

    def __init__(self, text: str, syntax: str) -> None:
        self.text = text
        self.starts = line_starts(text, syntax)

    def offset(self, line: int, column: int) -> int:
        if line > len(self.starts):
            return len(self.text)
        start = self.starts[max(line, 1) - 1]
        end = self.starts[line] if line < len(self.starts) else len(self.text)
        while end > start and self.text[end - 1] in _BREAKS:
            end -= 1
        return min(start + max(column, 1) - 1, end)


_Span = tuple[int, int, str]


def _conflicts(a: _Span, b: _Span) -> bool:
    (s1, e1, _), (s2, e2, _) = a, b
    if s1 < e2 and s2 < e1:
        return True
    # two edits at one point (an insertion among them): their order would be a guess
    return s1 == s2 and (s1 == e1 or s2 == e2)


def fix_source(text: str, diagnostics: Sequence[Diagnostic],
               syntax: str = "dsl") -> tuple[str, int]:
    """Apply the edits of the fixable findings to `text`: (new text, findings fixed)."""
    offsets = _Offsets(text, syntax)
    newline = "\r\n" if "\r\n" in text else "\n"
    chosen: list[_Span] = []
    fixed = 0
    for d in diagnostics:
        if not d.fix:
            continue
        spans = [
            (offsets.offset(e.line, e.column), offsets.offset(e.end_line, e.end_column),
             e.text.replace("\r\n", "\n").replace("\n", newline))
            for e in d.fix
        ]
        if all(s in chosen for s in spans):
            fixed += 1
            continue
        if any(_conflicts(s, c) for s in spans for c in chosen if s != c):
            continue
        chosen.extend(s for s in spans if s not in chosen)
        fixed += 1
    return _apply(text, chosen), fixed


def _apply(text: str, spans: list[_Span]) -> str:
    for start, end, new in sorted(spans, key=lambda s: (s[0], s[1]), reverse=True):
        text = text[:start] + new + text[end:]
    return text


def apply_edits(text: str, edits: Sequence[Edit], syntax: str = "dsl") -> str:
    """Apply non-overlapping edits to `text` (last first, so earlier places stay valid)."""
    offsets = _Offsets(text, syntax)
    spans = [(offsets.offset(e.line, e.column), offsets.offset(e.end_line, e.end_column),
              e.text) for e in edits]
    return _apply(text, spans)


def _fix_file(path: str, source: str, diagnostics: Sequence[Diagnostic]) -> int:
    body, bom = strip_bom(read_bytes(path))
    if body.decode("utf-8", errors="replace") != source:
        return 0  # changed since it was linted: leave it alone
    new, fixed = fix_source(source, diagnostics, syntax_of(path))
    if not fixed or new == source:
        return 0
    try:
        atomic_write(path, (BOM if bom else b"") + new.encode("utf-8"))
    except OSError as err:
        raise SpecReadError(f"{path}: cannot write: {err.strerror or err}") from None
    forget(path, load_config(os.path.dirname(os.path.abspath(path))))
    return fixed


def fix_paths(paths: Sequence[str], selection: Selection | None = None,
              max_requests: int | None = None, api: str | None = None, *,
              cache: bool = False, jobs: int = 1) -> FixResult:
    """Lint, fix what can be fixed, and lint again until nothing more is fixed. A file
    written loses its lint cache entry."""
    fixed = 0

    def lint() -> LintResult:
        return lint_paths(paths, selection, max_requests, api=api, cache=cache, jobs=jobs)

    result = lint()
    for _ in range(MAX_PASSES):
        by_path: dict[str, list[Diagnostic]] = defaultdict(list)
        for d in result.diagnostics:
            if d.fixable and d.span.path in result.sources:
                by_path[d.span.path].append(d)
        if not by_path:
            break
        done = sum(_fix_file(p, result.sources[p], ds) for p, ds in by_path.items())
        if not done:
            break
        fixed += done
        result = lint()
    return FixResult(fixed, result)
