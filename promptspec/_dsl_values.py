"""Turn the DSL's value nodes (SCALAR tokens, lists, ranges, ...) into model values.

Problems that the grammar lets through but the language forbids are raised as
`SyntaxProblem` (PS001: a bad escape, a non-string path) and the caller decides what the
file yields; list items that the model cannot hold go to `ValueBuilder.problems` (PS007).
"""

from __future__ import annotations

import re
import textwrap
from typing import Any
from typing import Literal as Lit

from lark import Token, Tree

from promptspec.model import FileRef, ListValue, Literal, RandomValue, RangeValue, Span, Value

__all__ = ["SyntaxProblem", "ValueBuilder", "leaf", "scalar_kind", "tree_span"]

ScalarKind = Lit["block", "string", "number", "const"]

_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}
_ESCAPE_RE = re.compile(r"\\(.)")
_CONSTS: dict[str, bool | None] = {"true": True, "false": False, "null": None}
_INT_RE = re.compile(r"-?[0-9]+")


class SyntaxProblem(Exception):
    """A PS001 found after parsing (bad escape, non-string path), with its exact span."""

    def __init__(self, message: str, span: Span) -> None:
        super().__init__(message)
        self.message = message
        self.span = span


def scalar_kind(tok: Token) -> ScalarKind:
    """Which kind of scalar a SCALAR token holds: its first characters say it."""
    text = str(tok)
    if text.startswith('"""'):
        return "block"
    if text.startswith('"'):
        return "string"
    if text in _CONSTS:
        return "const"
    return "number"


def leaf(node: Tree[Any], index: int = 0) -> Token:
    """The token at `children[index]` of a rule whose child there is always a token."""
    child = node.children[index]
    assert isinstance(child, Token), child
    return child


def tree_span(path: str, node: Tree[Any] | Token) -> Span:
    """The exact span of a subtree (propagated positions) or a token; end exclusive."""
    if isinstance(node, Token):
        return Span(
            path, node.line or 1, node.column or 1, node.end_line or 1, node.end_column or 1
        )
    m = node.meta
    return Span(path, m.line, m.column, m.end_line, m.end_column)


def _decode_string(tok: Token, path: str) -> str:
    raw = str(tok)[1:-1]
    if "\\" not in raw:
        return raw

    def replace(m: re.Match[str]) -> str:
        ch = m.group(1)
        if ch not in _ESCAPES:
            line, col = tok.line or 1, (tok.column or 1) + 1 + m.start()
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
    """Builds model values for one file; non-scalar list items go to `problems` (PS007)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[tuple[str, Span]] = []

    def value(self, node: Tree[Any] | Token) -> Value:
        if isinstance(node, Token):
            return self.scalar(node)
        kind = node.data
        if kind == "list":
            return self._list(node)
        if kind == "range":
            return self._range(node)
        if kind == "random":
            args = [self.scalar(leaf(node, i)) for i in range(len(node.children))]
            return RandomValue(args[0], args[1] if len(args) > 1 else None, self._span(node))
        return FileRef(self.path_string(leaf(node), "file(...)"), self._span(node))

    def path_string(self, tok: Token, where: str) -> str:
        """The text of a string token that must be a path (import, file(...))."""
        lit = self.scalar(tok)
        if not isinstance(lit.value, str):
            raise SyntaxProblem(f"{where} needs a path in quotes, not {tok}", lit.span)
        return lit.value

    def scalar(self, tok: Token) -> Literal:
        span = self._span(tok)
        kind = scalar_kind(tok)
        if kind == "string":
            return Literal(_decode_string(tok, self.path), span, None, span.line, False)
        if kind == "block":
            text, content_line = decode_block(str(tok)[3:-3], span.line)
            return Literal(text, span, None, content_line, True)
        if kind == "const":
            return Literal(_CONSTS[str(tok)], span)
        text = str(tok)
        number: int | float = int(text) if _INT_RE.fullmatch(text) else float(text)
        return Literal(number, span, text)

    def _list(self, node: Tree[Any]) -> ListValue:
        items: list[Literal | FileRef] = []
        for child in node.children:
            if isinstance(child, Token):
                if child.type == "SCALAR":
                    items.append(self.scalar(child))
                continue  # the brackets
            if child.data == "file_ref":
                items.append(FileRef(self.path_string(leaf(child), "file(...)"), self._span(child)))
                continue
            what = {"list": "a nested list", "range": "a range", "random": "random(...)"}
            self.problems.append(
                (
                    f"{what[child.data]} cannot be a list item; items are strings, "
                    "numbers, true, false, null or file(...)",
                    self._span(child),
                )
            )
        return ListValue(tuple(items), self._span(node))

    def _range(self, node: Tree[Any]) -> RangeValue:
        start, end = self.scalar(leaf(node, 0)), self.scalar(leaf(node, 1))
        step = count = None
        if len(node.children) == 4:
            bound = self.scalar(leaf(node, 3))
            if leaf(node, 2).type == "STEP":
                step = bound
            else:
                count = bound
        return RangeValue(start, end, step, count, self._span(node))

    def _span(self, node: Tree[Any] | Token) -> Span:
        return tree_span(self.path, node)
