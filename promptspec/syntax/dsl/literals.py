"""Turn the DSL's value nodes (scalar tokens, lists, ranges, ...) into model values.

Problems that the grammar lets through but the language forbids are raised as
`SyntaxProblem` (PS001: a bad escape, a non-string path) and the caller decides what the
file yields; list items that the model cannot hold go to `ValueBuilder.problems` (PS007).
"""

from __future__ import annotations

import re
import textwrap

from promptspec.model import FileRef, ListValue, Literal, RandomValue, RangeValue, Span, Value
from promptspec.syntax.dsl.grammar import Node, Tok

__all__ = ["SyntaxProblem", "ValueBuilder", "decode_block", "decode_string"]

_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}
_ESCAPE_RE = re.compile(r"\\(.)")
CONSTS: dict[str, bool | None] = {"true": True, "false": False, "null": None}
MAX_INT_DIGITS = 4300
_INT_RE = re.compile(r"-?[0-9]+")


class SyntaxProblem(Exception):
    """A PS001 found after parsing (bad escape, non-string path), with its exact span."""

    def __init__(self, message: str, span: Span) -> None:
        super().__init__(message)
        self.message = message
        self.span = span


def decode_string(text: str, line: int, column: int, path: str) -> str:
    """A `"..."` string token's value (`text` with its quotes, at `line`, `column`)."""
    raw = text[1:-1]
    if "\\" not in raw:
        return raw

    def replace(m: re.Match[str]) -> str:
        ch = m.group(1)
        if ch not in _ESCAPES:
            col = column + 1 + m.start()
            raise SyntaxProblem(
                f"unknown escape '\\{ch}' in a string (the escapes are \\\" \\\\ \\n \\t; "
                'use \\\\ for a backslash, or a """ block, which is raw)',
                Span(path, line, col, line, col + 2),
            )
        return _ESCAPES[ch]

    return _ESCAPE_RE.sub(replace, raw)


def decode_block(raw: str, line: int) -> tuple[str, int]:
    """A `\"\"\"` block's text (between the quotes) and its first content line.

    Drops the line break after the opening quotes (spaces before it too) and the last line
    break with the closing line's indentation, then dedents like `textwrap.dedent`. Raw: no
    escapes.
    """
    raw = raw.replace("\r\n", "\n")
    content_line = line
    first_break = raw.find("\n")
    if first_break >= 0 and not raw[:first_break].strip(" \t"):
        raw = raw[first_break + 1 :]
        content_line = line + 1
    last_break = raw.rfind("\n")
    if last_break >= 0 and not raw[last_break + 1 :].strip(" \t"):
        raw = raw[:last_break]
    return textwrap.dedent(raw), content_line


class ValueBuilder:
    """Builds model values for one file; non-scalar list items go to `problems` (PS007).

    Values come as `_dsl_parser.tree_nodes` nodes: a scalar `Tok`, or a
    ("L" | "R" | "X" | "F", first, last, ...) tuple whose span runs from its first token
    to its last.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[tuple[str, Span]] = []

    def span(self, first: Tok, last: Tok) -> Span:
        return Span(self.path, first[2], first[3], last[4], last[5])

    def value(self, node: Node) -> Value:
        kind = node[0]
        if kind == "S":
            return self.scalar(node)
        if kind == "L":
            return self._list(node)
        if kind == "R":
            _, first, last, start, end, word, bound = node
            low, high = self.scalar(start), self.scalar(end)
            step = count = None
            if word is not None:
                if word[1] == "step":
                    step = self.scalar(bound)
                else:
                    count = self.scalar(bound)
            return RangeValue(low, high, step, count, self.span(first, last))
        if kind == "X":
            n = self.scalar(node[3])
            seed = self.scalar(node[4]) if node[4] is not None else None
            return RandomValue(n, seed, self.span(node[1], node[2]))
        return FileRef(self.path_string(node[3], "file(...)"), self.span(node[1], node[2]))

    def path_string(self, tok: Tok, where: str) -> str:
        """The text of a string token that must be a path (import, file(...))."""
        lit = self.scalar(tok)
        if not isinstance(lit.value, str):
            raise SyntaxProblem(f"{where} needs a path in quotes, not {tok[1]}", lit.span)
        return lit.value

    def scalar(self, tok: Tok) -> Literal:
        text, line = tok[1], tok[2]
        span = Span(self.path, line, tok[3], tok[4], tok[5])
        first = text[:1]
        if first == '"':
            if text.startswith('"""'):
                value, content_line = decode_block(text[3:-3], line)
                return Literal(value, span, None, content_line, True)
            return Literal(decode_string(text, line, tok[3], self.path), span, None, line, False)
        if text in CONSTS:
            return Literal(CONSTS[text], span)
        if _INT_RE.fullmatch(text):
            if len(text.lstrip("-")) > MAX_INT_DIGITS:
                raise SyntaxProblem(f"an integer of more than {MAX_INT_DIGITS:,} digits", span)
            return Literal(int(text), span, text)
        return Literal(float(text), span, text)

    def _list(self, node: Node, nested: bool = False) -> ListValue:
        items: list[Literal | FileRef | ListValue] = []
        for child in node[3]:
            kind = child[0]
            if kind == "S":
                items.append(self.scalar(child))
            elif kind == "F":
                items.append(FileRef(self.path_string(child[3], "file(...)"),
                                     self.span(child[1], child[2])))
            elif kind == "L" and not nested:  # a sweep point of an array parameter
                items.append(self._list(child, nested=True))
            else:
                what = {"L": "a list nested twice", "R": "a range", "X": "random(...)"}
                self.problems.append(
                    (
                        f"{what[kind]} cannot be a list item; items are strings, "
                        "numbers, true, false, null or file(...)",
                        self.span(child[1], child[2]),
                    )
                )
        return ListValue(tuple(items), self.span(node[1], node[2]))
