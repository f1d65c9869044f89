"""Text-level pieces of the DSL formatter: string quoting, `\"\"\"` blocks, comments, newlines.

Everything here works on plain strings, so both `fmt` (from the parse tree) and `convert`
(from the model) write DSL values the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from promptspec.model import NAME
from promptspec.syntax.dsl.literals import decode_block as decode_block_text
from promptspec.syntax.dsl.literals import decode_string

__all__ = [
    "BOM",
    "DSL_NAME",
    "DSL_NUMBER",
    "Comment",
    "block_string",
    "decode_block",
    "decode_quoted",
    "dsl_string",
    "quote",
    "restore_layout",
    "split_layout",
]

BOM = "\ufeff"
DSL_NAME = NAME
DSL_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}
_ESCAPE_RE = re.compile(r"\\(.)")


@dataclass(frozen=True, slots=True)
class Comment:
    """A `#` comment of the source: 1-based line and column, its text without trailing space.

    `own_line` says that only white space comes before it on its line.
    """

    line: int
    column: int
    text: str
    own_line: bool

    @property
    def pos(self) -> tuple[int, int]:
        return (self.line, self.column)


def split_layout(text: str) -> tuple[str, bool, str]:
    """(text with a leading BOM dropped and CRLF turned into LF, had BOM, line ending)."""
    bom = text.startswith(BOM)
    if bom:
        text = text[1:]
    first_break = text.find("\n")
    newline = "\r\n" if first_break > 0 and text[first_break - 1] == "\r" else "\n"
    return text.replace("\r\n", "\n"), bom, newline


def restore_layout(text: str, bom: bool, newline: str) -> str:
    """The inverse of `split_layout`: put the BOM and the line ending back."""
    if newline != "\n":
        text = text.replace("\n", newline)
    return (BOM if bom else "") + text


def quote(value: str) -> str:
    """`value` as a `"..."` DSL string with the fewest escapes (quote, backslash, breaks, tabs)."""
    out = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{out}"'


def decode_quoted(raw: str) -> str:
    """The value of a `"..."` token (quotes included); the parser has vetted its escapes."""
    return decode_string(raw, 0, 0, "")


def decode_block(raw: str) -> str:
    """The value of a `\"\"\"` token, by the front end's own rule (one definition)."""
    return decode_block_text(raw[3:-3], 0)[0]


def block_string(value: str, indent: int) -> list[str] | None:
    """`value` as a `\"\"\"` block opened on a line indented by `indent`, or None if it cannot be.

    The content sits two spaces deeper than the opening line and the closing quotes line
    up with it. The first line is the opening quotes alone (the caller prefixes it).
    None when no block reads back as `value` (common indentation, blank lines holding
    spaces, a `\"\"\"` inside, carriage returns).
    """
    if value == "":
        return ['""""""']
    if '"""' in value or "\r" in value:
        return None
    pad = " " * (indent + 2)
    lines = ['"""'] + [pad + line if line else "" for line in value.split("\n")]
    lines.append(" " * indent + '"""')
    if decode_block("\n".join(lines)) != value:
        return None
    return lines


def dsl_string(value: str, indent: int, block: bool) -> list[str]:
    """A string value as DSL lines: a `\"\"\"` block when asked and possible, else quoted."""
    if block:
        lines = block_string(value, indent)
        if lines is not None:
            return lines
    return [quote(value)]
