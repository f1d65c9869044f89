"""`fmt`: rewrite DSL spec files (`*.pspec`) into the one canonical layout, comments kept.

The layout: 2-space indentation, `key = value`, one statement per line, one blank line
between top-level blocks (at most one kept where the user left one elsewhere), statements
in the order written, short lists on one line, canonical quoting, `\"\"\"` blocks re-indented.
Formatting is idempotent and never changes what a file expands to. Line endings (LF or
CRLF) and a leading BOM are kept as found.

YAML spec files are left alone, on purpose: a round trip through ruamel re-flows comments
and indentation in ways a YAML user did not ask for, and YAML files usually have their own
formatter (prettier, yamllint). `fmt` names them as skipped and never rewrites them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from lark import Token

from promptspec.diagnostics import Code, Diagnostic
from promptspec.errors import SpecReadError
from promptspec.format.dsl_layout import TreeLayout
from promptspec.format.dsl_text import BOM, Comment, restore_layout, split_layout
from promptspec.load import decode, read_bytes, strip_bom
from promptspec.paths import atomic_write, syntax_of
from promptspec.syntax.dsl.builder import parse_dsl_tree

__all__ = ["FileOutcome", "format_file", "format_text", "write_file"]


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """What formatting one file gives: the new text, or the PS001 that stopped it."""

    path: str
    original: str
    formatted: str | None
    error: Diagnostic | None = None
    skipped: bool = False

    @property
    def changed(self) -> bool:
        return self.formatted is not None and self.formatted != self.original


def comments_of(source: str, tokens: Iterable[Token]) -> list[Comment]:
    """The comment tokens of an LF-only source as `Comment`s, in source order."""
    lines = source.split("\n")
    out = []
    for tok in tokens:
        line, col = tok.line or 1, tok.column or 1
        own = not lines[line - 1][: col - 1].strip()
        out.append(Comment(line, col, str(tok).rstrip(), own))
    return sorted(out, key=lambda c: c.pos)


def format_text(text: str, path: str = "<string>") -> tuple[str | None, Diagnostic | None]:
    """(formatted text, None), or (None, the PS001) when the text does not parse."""
    source, bom, newline = split_layout(text)
    parsed, tree, tokens = parse_dsl_tree(source, path)
    bad = [d for d in parsed.diagnostics if d.code == Code.SYNTAX_ERROR]
    if bad or tree is None:
        return None, bad[0]
    out = TreeLayout(source, comments_of(source, tokens)).format(tree)
    return restore_layout(out, bom, newline), None


def format_file(path: str) -> FileOutcome:
    """Format one file in memory (SpecReadError when it cannot be read). Writes nothing."""
    data = read_bytes(path)
    text, bad = decode(data, path)
    if bad is not None:
        return FileOutcome(path, "", None, bad)
    if strip_bom(data)[1]:
        text = BOM + text
    if syntax_of(path) == "yaml":
        return FileOutcome(path, text, None, skipped=True)
    formatted, error = format_text(text, path)
    return FileOutcome(path, text, formatted, error)


def write_file(outcome: FileOutcome) -> None:
    """Write a changed file back, bytes exactly as formatted (no newline translation)."""
    if outcome.formatted is None:
        return
    try:
        atomic_write(outcome.path, outcome.formatted.encode("utf-8"))
    except OSError as err:
        raise SpecReadError(f"{outcome.path}: cannot write: {err.strerror or err}") from None
    from promptspec.config import load_config
    from promptspec.lint.cache import forget

    forget(outcome.path, load_config(os.path.dirname(os.path.abspath(outcome.path))))
