"""Turn the DSL's value subtrees (strings, numbers, lists, ranges, ...) into model values.

String escapes are checked here: a bad escape raises `BadEscape` (PS001 at the backslash),
and the caller decides what the file yields.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

from lark import Token, Tree

from promptspec.model import FileRef, ListValue, Literal, RandomValue, RangeValue, Span, Value

__all__ = ["BadEscape", "ValueBuilder", "leaf", "tree_span"]

_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}
_ESCAPE_RE = re.compile(r"\\(.)")
_CONSTS: dict[str, bool | None] = {"true": True, "false": False, "null": None}


class BadEscape(Exception):
    """An unknown escape in a `"..."` string, at 1-based (line, column)."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


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


def decode_string(tok: Token) -> tuple[str, int, bool]:
    """(value, content_line, multiline) of a STRING or LONG_STRING token."""
    line = tok.line or 1
    if tok.type == "LONG_STRING":
        return _decode_block(str(tok)[3:-3], line)
    raw = str(tok)[1:-1]
    if "\\" not in raw:
        return raw, line, False

    def replace(m: re.Match[str]) -> str:
        ch = m.group(1)
        if ch not in _ESCAPES:
            col = (tok.column or 1) + 1 + m.start()
            raise BadEscape(
                f"unknown escape '\\{ch}' in a string (use \\\\ for a backslash; "
                'escapes are \\" \\\\ \\n \\t)',
                line,
                col,
            )
        return _ESCAPES[ch]

    return _ESCAPE_RE.sub(replace, raw), line, False


def _decode_block(raw: str, line: int) -> tuple[str, int, bool]:
    """A `\"\"\"` block: drop the first and last line breaks, then dedent. Raw: no escapes."""
    raw = raw.replace("\r\n", "\n")
    content_line = line
    first_break = raw.find("\n")
    if first_break >= 0 and not raw[:first_break].strip(" \t"):
        raw = raw[first_break + 1 :]
        content_line = line + 1
    last_break = raw.rfind("\n")
    if last_break >= 0 and not raw[last_break + 1 :].strip(" \t"):
        raw = raw[:last_break]
    return textwrap.dedent(raw), content_line, True


class ValueBuilder:
    """Builds model values for one file; non-scalar list items go to `problems` (PS007)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[tuple[str, Span]] = []

    def value(self, node: Tree[Any]) -> Value:
        kind = node.data
        if kind == "list":
            return self._list(node)
        if kind == "range":
            return self._range(node)
        if kind == "random":
            args = [self.scalar(c) for c in node.children]
            return RandomValue(args[0], args[1] if len(args) > 1 else None, self._span(node))
        if kind == "file_ref":
            path, _, _ = decode_string(leaf(node.children[0]))
            return FileRef(path, self._span(node))
        return self.scalar(node)

    def scalar(self, node: Tree[Any]) -> Literal:
        tok = leaf(node)
        span = self._span(node)
        if node.data == "string":
            value, content_line, multiline = decode_string(tok)
            return Literal(value, span, None, content_line, multiline)
        if node.data == "number":
            text = str(tok)
            number: int | float = int(text) if text.lstrip("-").isdigit() else float(text)
            return Literal(number, span, text)
        return Literal(_CONSTS[str(tok)], span)

    def _list(self, node: Tree[Any]) -> ListValue:
        items: list[Literal | FileRef] = []
        for child in node.children:
            if isinstance(child, Token):  # the brackets
                continue
            if child.data in ("list", "range", "random"):
                what = {"list": "a nested list", "range": "a range", "random": "random(...)"}
                self.problems.append(
                    (
                        f"{what[child.data]} cannot be a list item; items are strings, "
                        "numbers, true, false, null or file(...)",
                        self._span(child),
                    )
                )
                continue
            item = self.value(child)
            assert isinstance(item, Literal | FileRef)
            items.append(item)
        return ListValue(tuple(items), self._span(node))

    def _range(self, node: Tree[Any]) -> RangeValue:
        start, end, *rest = node.children
        step = count = None
        if rest:
            extra: Tree[Any] = rest[0]
            bound = self.scalar(extra.children[1])
            if extra.data == "range_step":
                step = bound
            else:
                count = bound
        return RangeValue(self.scalar(start), self.scalar(end), step, count, self._span(node))

    def _span(self, node: Tree[Any] | Token) -> Span:
        return tree_span(self.path, node)
