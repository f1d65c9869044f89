"""Text findings, `path:line:col: CODE message`, one per line; and `--statistics` counts."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import TextIO

from promptspec.diagnostics import Diagnostic
from promptspec.lint.rules import RULES

__all__ = ["statistics", "summary", "write_statistics", "write_text"]


def write_text(diagnostics: Sequence[Diagnostic], out: TextIO) -> None:
    out.writelines(f"{d}\n" for d in diagnostics)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary(diagnostics: Sequence[Diagnostic]) -> str:
    """`Found 3 errors, 1 warning.` (or `All checks passed.`)."""
    if not diagnostics:
        return "All checks passed."
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    return f"Found {_plural(errors, 'error')}, {_plural(warnings, 'warning')}."


def statistics(diagnostics: Sequence[Diagnostic]) -> list[dict[str, object]]:
    """Counts per code, most frequent first (then by code), like `ruff --statistics`."""
    counts = Counter(d.code for d in diagnostics)
    fixable = {d.code for d in diagnostics if d.fixable}
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [
        {"code": code, "name": RULES[code].name if code in RULES else "", "count": n,
         "fixable": code in fixable}
        for code, n in rows
    ]


def write_statistics(diagnostics: Sequence[Diagnostic], out: TextIO, fmt: str) -> None:
    rows = statistics(diagnostics)
    if fmt == "json":
        out.write(json.dumps(rows, indent=2) + "\n")
        return
    width = max((len(str(r["count"])) for r in rows), default=1)
    for r in rows:
        mark = "[*] " if r["fixable"] else ""
        out.write(f"{r['count']!s:>{max(width, 3)}}  {r['code']} {mark}{r['name']}\n")
