"""The DSL's fast path: a hand-written tokenizer and recursive-descent parser for the grammar
in `grammar/promptspec.lark`, producing the same token places as lark's LALR parser.

lark costs ~10 us per token in Python; most spec files are valid, so `parse_fast(text)`
reads them with one regular expression and a small parser instead. It accepts only what
lark accepts, read the same way, and raises `Bail` on anything else (a syntax error, or a
form it leaves to lark, like a keyword used as a name where lark's contextual lexer allows
it): the caller then parses with lark, which also words the syntax error.

The result is a light tree of tuples (see `Tok` and the node shapes below) for `_dsl.py`'s
builder; no value is decoded here.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["Bail", "Node", "Tok", "parse_fast"]

Tok = tuple[str, str, int, int, int, int]
"""(kind, text, line, column, end_line, end_column), 1-based, end column exclusive.

kind: "N" a name, "S" a scalar, "\\n" a line break, "$" the end, else the punctuation
itself ("..", "=", ",", ":", "(", ")", "[", "]", "{", "}")."""

Node = Any
"""Values: a scalar `Tok`; ("L", first, last, items) a list; ("R", first, last, start, end,
keyword | None, bound | None) a range; ("X", first, last, n, seed | None) random(...);
("F", first, last, path) file(...).
Members and statements: ("field", name, value, last); ("block", keyword, members, rbrace);
("named", keyword, name, extends, members, rbrace); ("tune", keyword, value, last);
("import", path)."""

# One token per match, after optional blanks; the terminals are the grammar's own.
_TOKEN = re.compile(
    r"[ \t\f\r\ufeff]*(?:"
    r"(?P<c>#[^\n]*)"
    r"|(?P<nl>\r?\n[ \t\f\r]*)"
    r'|(?P<S>"""[\s\S]*?"""|"(?:\\[^\n]|[^"\\\n])*"'
    r"|-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|(?:true|false|null)(?![A-Za-z0-9_-]))"
    r"|(?P<N>[A-Za-z_][A-Za-z0-9_-]*)"
    r"|(?P<p>\.\.|[=,:()\[\]{}])"
    r")"
)
_TRAILING = re.compile(r"[ \t\f\r\ufeff]*\Z")


class Bail(Exception):
    """Not read by the fast path: parse with lark."""


def _tokens(text: str) -> list[Tok]:
    """The token stream as lark's parser sees it after the newline filter."""
    out: list[Tok] = []
    append = out.append
    line, line_start, pos, depth = 1, 0, 0, 0
    after_nl = False
    end = len(text)
    match = _TOKEN.match
    while pos < end:
        m = match(text, pos)
        if m is None:
            if _TRAILING.match(text, pos):
                break
            raise Bail
        kind = m.lastgroup
        pos = m.end()
        if kind == "c":
            continue
        if kind == "nl":
            if depth == 0 and not after_nl:
                start = m.start("nl")
                append(("\n", "\n", line, start - line_start + 1, line + 1, 1))
                after_nl = True
            line += 1
            line_start = text.index("\n", m.start("nl")) + 1
            continue
        if kind is None:  # only blanks matched: the rest of the line is blank
            continue
        after_nl = False
        start = m.start(kind)
        value = m.group(kind)
        col = start - line_start + 1
        if kind == "p":
            kind = value
            if value == "[" or value == "(":
                depth += 1
            elif (value == "]" or value == ")") and depth:
                depth -= 1
        breaks = value.count("\n") if kind == "S" else 0
        if breaks:
            last = start + value.rindex("\n") + 1
            append((kind, value, line, col, line + breaks, pos - last + 1))
            line += breaks
            line_start = last
        else:
            append((kind, value, line, col, line, col + len(value)))
    append(("$", "", line, pos - line_start + 1, line, pos - line_start + 1))
    return out


class _Parser:
    """Recursive descent over the token list; every unexpected token is `Bail`."""

    def __init__(self, toks: list[Tok]) -> None:
        self.toks = toks
        self.i = 0

    def take(self, kind: str) -> Tok:
        tok = self.toks[self.i]
        if tok[0] != kind:
            raise Bail
        self.i += 1
        return tok

    def peek(self, ahead: int = 0) -> Tok:
        return self.toks[self.i + ahead]

    # -- statements ------------------------------------------------------------------------
    def start(self) -> list[Node]:
        out: list[Node] = []
        if self.peek()[0] == "\n":
            self.i += 1
        while self.peek()[0] != "$":
            out.append(self.statement())
            kind = self.peek()[0]
            if kind == "\n":
                self.i += 1
            elif kind != "$":
                raise Bail
        return out

    def statement(self) -> Node:
        tok = self.take("N")
        word = tok[1]
        after = self.peek()[0]
        if after == "=":
            if word in ("import", "preset", "prompt"):
                raise Bail
            return self.field(tok)
        if word == "import":
            return ("import", self.take("S"))
        if word == "tune":
            value, last = self.value()
            return ("tune", tok, value, last)
        if word == "vars":
            members, rbrace = self.body()
            return ("block", tok, members, rbrace)
        if word == "preset" or word == "prompt":
            name = self.take("N")
            extends: list[Tok] = []
            if self.peek()[0] == ":":
                self.i += 1
                extends.append(self.take("N"))
                while self.peek()[0] == ",":
                    self.i += 1
                    extends.append(self.take("N"))
            members, rbrace = self.body()
            return ("named", tok, name, extends, members, rbrace)
        raise Bail

    def field(self, name: Tok) -> Node:
        self.take("=")
        value, last = self.value()
        return ("field", name, value, last)

    def body(self) -> tuple[list[Node], Tok]:
        self.take("{")
        out: list[Node] = []
        if self.peek()[0] == "\n":
            self.i += 1
        while True:
            tok = self.toks[self.i]
            if tok[0] == "}":
                self.i += 1
                return out, tok
            self.i += 1
            if tok[0] != "N":
                raise Bail
            word = tok[1]
            after = self.peek()[0]
            if after == "=":
                out.append(self.field(tok))
            elif after == "{" and word in ("vars", "sweep", "zip"):
                members, rbrace = self.body()
                out.append(("block", tok, members, rbrace))
            else:
                raise Bail
            kind = self.peek()[0]
            if kind == "\n":
                self.i += 1
            elif kind != "}":
                raise Bail

    # -- values ----------------------------------------------------------------------------
    def value(self) -> tuple[Node, Tok]:
        tok = self.toks[self.i]
        self.i += 1
        kind = tok[0]
        if kind == "S":
            if self.peek()[0] != "..":
                return tok, tok
            self.i += 1
            end = self.take("S")
            word = self.peek()
            if word[0] == "N" and word[1] in ("step", "count"):
                self.i += 1
                bound = self.take("S")
                return ("R", tok, bound, tok, end, word, bound), bound
            return ("R", tok, end, tok, end, None, None), end
        if kind == "[":
            items: list[Node] = []
            while self.peek()[0] != "]":
                items.append(self.value()[0])
                if self.peek()[0] == ",":
                    self.i += 1
                elif self.peek()[0] != "]":
                    raise Bail
            last = self.take("]")
            return ("L", tok, last, items), last
        if kind == "N" and tok[1] == "random":
            self.take("(")
            n = self.take("S")
            seed = None
            if self.peek()[0] == ",":
                self.i += 1
                seed = self.take("S")
            last = self.take(")")
            return ("X", tok, last, n, seed), last
        if kind == "N" and tok[1] == "file":
            self.take("(")
            path = self.take("S")
            last = self.take(")")
            return ("F", tok, last, path), last
        raise Bail


def parse_fast(text: str) -> list[Node]:
    """The file's statements as light nodes; `Bail` when lark must read it."""
    return _Parser(_tokens(text)).start()
