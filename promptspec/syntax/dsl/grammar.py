"""The DSL's lark parser: find the grammar, build the LALR parser once, parse text to a tree.

The tree shape is documented in `grammar/promptspec.lark`; `_dsl_errors` turns lark's
failures into diagnostics; `tree_nodes` turns a tree into the builder's light nodes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lark

import promptspec
from promptspec.syntax.dsl.parser_cache import cache_file

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
("family", keyword, value, last);
("import", path)."""

__all__ = [
    "GRAMMAR_FILE", "NewlineFilter", "get_parser", "grammar_path", "parse_statements",
    "parse_tree", "tree_nodes",
]

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
_PARSERS: dict[bool, lark.Lark] = {}
_LOCK = threading.Lock()


def get_parser(positions: bool = False) -> lark.Lark:
    """The process-wide LALR parser, built on first use (its tables cached in the user's
    own cache folder, see `parser_cache`; never in the shared temporary folder).

    Two flavours of the one grammar: with `positions`, every subtree carries its place
    (the formatter's `parse_tree` needs them); without, parsing takes about half the time,
    and `tree_nodes` takes places from the tokens, which always carry theirs.
    """
    parser = _PARSERS.get(positions)
    if parser is None:
        with _LOCK:
            parser = _PARSERS.get(positions)
            if parser is None:
                grammar = grammar_path().read_text(encoding="utf-8")
                cache = cache_file(grammar, lark.__version__, f"positions={positions}")
                parser = _PARSERS[positions] = lark.Lark(
                    grammar,
                    parser="lalr",
                    lexer="contextual",
                    propagate_positions=positions,
                    maybe_placeholders=False,
                    postlex=NewlineFilter(),
                    lexer_callbacks={"COMMENT": _SINK},
                    cache=cache if cache is not None else False,
                )
    return parser


def parse_tree(text: str) -> tuple[lark.Tree[Any], list[lark.Token]]:
    """Parse DSL text to lark's tree and every comment token (with positions), in order.

    Raises lark's `UnexpectedInput` (or another `LarkError`) on a syntax error; use
    `syntax_error` to turn it into a diagnostic.
    """
    parser = get_parser(positions=True)
    _SINK.items = []
    try:
        tree = parser.parse(text)
        return tree, _SINK.items
    finally:
        _SINK.items = []


# -- lark's tree as the builder's nodes -----------------------------------------------------


def _tok(t: Any) -> Tok:
    """A lark token (a child that the grammar makes a token) as a `Tok`."""
    kind = "S" if t.type == "SCALAR" else "N"
    return (kind, str(t), t.line or 1, t.column or 1, t.end_line or 1, t.end_column or 1)


def _edge(node: lark.Tree[Any] | lark.Token, last: bool) -> lark.Token:
    while not isinstance(node, lark.Token):
        node = node.children[-1 if last else 0]
    return node


def _ends(node: lark.Tree[Any]) -> tuple[Tok, Tok]:
    """A subtree's first and last tokens (every rule's first and last tokens are kept)."""
    return _tok(_edge(node, False)), _tok(_edge(node, True))


def _value(node: lark.Tree[Any] | lark.Token, depth: int = 0) -> Node:
    """A value node; list items are kept two levels deep (a sweep point of an array
    parameter is a list), deeper lists stay empty (the builder reports them)."""
    if isinstance(node, lark.Token):
        return _tok(node)
    first, last = _ends(node)
    kids = node.children
    kind = node.data
    if kind == "list":
        items = [_value(c, depth + 1) for c in kids[1:-1]] if depth < 2 else []
        return ("L", first, last, items)
    if kind == "range":
        word = _tok(kids[2]) if len(kids) == 4 else None
        bound = _tok(kids[3]) if len(kids) == 4 else None
        return ("R", first, last, _tok(kids[0]), _tok(kids[1]), word, bound)
    if kind == "random":  # [RANDOM, SCALAR, SCALAR?, RPAR]
        return ("X", first, last, _tok(kids[1]), _tok(kids[2]) if len(kids) > 3 else None)
    return ("F", first, last, _tok(kids[1]))  # [FILE, SCALAR, RPAR]


def _member(node: lark.Tree[Any]) -> Node:
    kind = node.data
    kids = node.children
    last = _ends(node)[1]
    if kind == "field":
        return ("field", _tok(kids[0]), _value(kids[1]), last)
    if kind == "import_stmt":
        return ("import", _tok(kids[0]))
    if kind == "tune_stmt":
        return ("tune", _tok(kids[0]), _value(kids[1]), last)
    if kind == "family_stmt":
        return ("family", _tok(kids[0]), _value(kids[1]), last)
    if kind in ("vars_block", "sweep_block", "zip_block"):
        return ("block", _tok(kids[0]), _members(kids[1]), last)
    extends = [_tok(t) for t in kids[2].children] if len(kids) == 4 else []
    return ("named", _tok(kids[0]), _tok(kids[1]), extends, _members(kids[-1]), last)


def _members(body: lark.Tree[Any]) -> list[Node]:
    return [_member(c) for c in body.children if isinstance(c, lark.Tree)]


def parse_statements(text: str) -> list[Node]:
    """Parse DSL text to the builder's light nodes, with the faster position-free parser.

    Raises lark's `UnexpectedInput` (or another `LarkError`) on a syntax error.
    """
    parser = get_parser(positions=False)
    _SINK.items = []
    try:
        return tree_nodes(parser.parse(text))
    finally:
        _SINK.items = []


def tree_nodes(tree: lark.Tree[Any]) -> list[Node]:
    """lark's parse tree as the builder's light nodes (`Node`)."""
    return [_member(c) for c in tree.children]
