"""The lint engine (first cut): findings from parsing and resolution only."""

from __future__ import annotations

from collections.abc import Sequence

from promptspec.diagnostics import Diagnostic, sort_key
from promptspec.resolve import resolve

__all__ = ["lint_files"]


def lint_files(paths: Sequence[str]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for p in paths:
        out.extend(resolve(p).diagnostics)
    return sorted(out, key=sort_key)
