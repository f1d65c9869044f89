"""`--format github`: GitHub Actions workflow commands that annotate the changed lines.

Escaping follows the Actions runner: `%`, `\\r`, `\\n` in the message; also `:` and `,`
in property values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from promptspec.diagnostics import Diagnostic

__all__ = ["escape_data", "escape_property", "workflow_command", "write_github"]


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(d: Diagnostic) -> str:
    s = d.span
    # exactly the contract's shape: file, line, col, title=CODE
    props = {"file": s.path, "line": s.line, "col": s.column, "title": d.code}
    joined = ",".join(f"{k}={escape_property(str(v))}" for k, v in props.items())
    return f"::{d.severity} {joined}::{escape_data(d.message)}"


def write_github(diagnostics: Sequence[Diagnostic], out: TextIO) -> None:
    out.writelines(workflow_command(d) + "\n" for d in diagnostics)
