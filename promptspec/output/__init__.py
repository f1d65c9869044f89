"""Output formats for lint findings: each writes only the findings to standard output.

    write(format, diagnostics, out)   format: text | json | github | sarif
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from promptspec.diagnostics import Diagnostic

__all__ = ["FORMATS", "write"]

FORMATS = ("text", "json", "github", "sarif")


def write(fmt: str, diagnostics: Sequence[Diagnostic], out: TextIO) -> None:
    """Write the (already sorted) findings in format `fmt`."""
    if fmt == "text":
        from promptspec.output.text import write_text as writer
    elif fmt == "json":
        from promptspec.output.jsonfmt import write_json as writer
    elif fmt == "github":
        from promptspec.output.github import write_github as writer
    elif fmt == "sarif":
        from promptspec.output.sarif import write_sarif as writer
    else:
        raise ValueError(f"unknown output format {fmt!r}")
    writer(diagnostics, out)
