"""The DSL's lark parser: find the grammar, build the LALR parser once, parse text to a tree.

The tree shape is documented in `grammar/promptspec.lark`; `_dsl_errors` turns lark's
failures into diagnostics.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lark

import promptspec

__all__ = ["GRAMMAR_FILE", "NewlineFilter", "get_parser", "grammar_path", "parse_tree"]

GRAMMAR_FILE = "promptspec.lark"


def grammar_path() -> Path:
    """The grammar shipped inside the package, else the source tree's top-level copy."""
    here = Path(promptspec.__file__).resolve().parent
    for candidate in (here / "grammar" / GRAMMAR_FILE, here.parent / "grammar" / GRAMMAR_FILE):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{GRAMMAR_FILE} not found beside {here}")


class NewlineFilter:
    """Post-lexer: drop `_NL` inside brackets and parentheses, fold runs of `_NL` into one."""

    always_accept = ("_NL",)

    def process(self, stream: Iterator[lark.Token]) -> Iterator[lark.Token]:
        # Never buffer: the contextual lexer reads the parser's state for the next token,
        # so every token must reach the parser before the next one is lexed.
        depth = 0
        after_nl = False
        for tok in stream:
            kind = tok.type
            if kind == "_NL":
                if depth == 0 and not after_nl:
                    after_nl = True
                    yield tok
                continue
            after_nl = False
            if kind in ("LSQB", "LPAR"):
                depth += 1
            elif kind in ("RSQB", "RPAR") and depth:
                depth -= 1
            yield tok


class _CommentSink(threading.local):
    """Where the COMMENT lexer callback appends; reset per parse, one list per thread."""

    def __init__(self) -> None:
        self.items: list[lark.Token] = []

    def __call__(self, tok: lark.Token) -> lark.Token:
        self.items.append(tok)
        return tok


_SINK = _CommentSink()
_PARSER: lark.Lark | None = None
_LOCK = threading.Lock()


def get_parser() -> lark.Lark:
    """The process-wide LALR parser, built on first use (cached on disk by lark)."""
    global _PARSER
    if _PARSER is None:
        with _LOCK:
            if _PARSER is None:
                _PARSER = lark.Lark(
                    grammar_path().read_text(encoding="utf-8"),
                    parser="lalr",
                    lexer="contextual",
                    propagate_positions=True,
                    maybe_placeholders=False,
                    postlex=NewlineFilter(),
                    lexer_callbacks={"COMMENT": _SINK},
                    cache=True,
                )
    return _PARSER


def parse_tree(text: str) -> tuple[lark.Tree[Any], list[lark.Token]]:
    """Parse DSL text to lark's tree and every comment token (with positions), in order.

    Raises lark's `UnexpectedInput` (or another `LarkError`) on a syntax error; use
    `syntax_error` to turn it into a diagnostic.
    """
    parser = get_parser()
    _SINK.items = []
    try:
        tree = parser.parse(text)
        return tree, _SINK.items
    finally:
        _SINK.items = []
