"""Compose YAML into light nodes straight from the C parser's event stream.

ruamel's composer calls its Python resolver for every scalar and builds heavy node objects;
a spec needs neither. `compose(text)` walks libyaml's events once, without recursion,
types plain scalars by the YAML 1.2 core schema (ruamel's own table, the tags its composer
gives), keeps anchors and aliases as its composer does, and computes each node's end once.
Errors are ruamel's (`MarkedYAMLError`, `ReaderError`, ...), raised as it raises them;
nesting deeper than `MAX_DEPTH` raises `TooDeep`.
"""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml.composer import ComposerError
from ruamel.yaml.cyaml import CParser  # type: ignore[attr-defined]  # re-exported from clib
from ruamel.yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from ruamel.yaml.resolver import implicit_resolvers

from promptspec.syntax import YAML_BREAK

__all__ = ["MAP", "MAX_DEPTH", "NULL", "SCALAR", "SEQ", "STR", "TooDeep", "YNode", "compose"]

MAX_DEPTH = 1000
"""Deeper nesting than any spec needs."""

SCALAR, SEQ, MAP = 0, 1, 2
_T = "tag:yaml.org,2002:"
STR, NULL = _T + "str", _T + "null"
_SEQ_TAG, _MAP_TAG = _T + "seq", _T + "map"

BREAK = YAML_BREAK


class TooDeep(Exception):
    """Nesting beyond MAX_DEPTH, at the 0-based place of the collection that goes too deep."""

    def __init__(self, line: int, column: int) -> None:
        super().__init__(line, column)
        self.line = line
        self.column = column


class YNode:
    """One composed node. Marks are 0-based (line, column in characters).

    `kind` is SCALAR, SEQ or MAP; `text` the scalar's value; `items` a sequence's nodes;
    `pairs` a mapping's (key, value) nodes. `end_*` is libyaml's end mark, `last_*` the end
    of the node's own text (block collections and block scalars end at their last
    character, not where the next token starts).
    """

    __slots__ = (
        "anchor",
        "column",
        "end_column",
        "end_line",
        "flow",
        "items",
        "kind",
        "last_column",
        "last_line",
        "line",
        "pairs",
        "style",
        "tag",
        "text",
    )

    def __init__(self, kind: int, tag: str, line: int, column: int) -> None:
        self.kind = kind
        self.tag = tag
        self.line = line
        self.column = column
        self.text = ""
        self.style: str | None = None
        self.flow = False
        self.items: list[YNode] = []
        self.pairs: list[tuple[YNode, YNode]] = []
        self.end_line = self.last_line = -1
        self.end_column = self.last_column = -1
        self.anchor: Any = None

    @property
    def empty(self) -> bool:
        """A value left out (`key:` with nothing after it): a plain, empty null."""
        return self.kind == SCALAR and self.text == "" and self.tag == NULL


def _resolvers() -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    """ruamel's YAML 1.2 implicit resolvers by first character, in its order."""
    table: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    for versions, tag, regexp, first in implicit_resolvers:
        if (1, 2) in versions:
            compiled = regexp.lazy_self()
            for ch in first:
                table.setdefault(ch, []).append((tag, compiled))
    return table


_BY_FIRST = _resolvers()
_PLAIN: dict[str, str] = {}
"""Plain scalar text -> resolved tag, for texts seen before (bounded)."""


def resolve_plain(text: str) -> str:
    """The tag ruamel's resolver gives a plain (implicit) scalar."""
    tag = _PLAIN.get(text)
    if tag is not None:
        return tag
    tag = STR
    for candidate, regexp in _BY_FIRST.get(text[:1], ()):
        if regexp.match(text):
            tag = candidate
            break
    if len(_PLAIN) > 20_000:
        _PLAIN.clear()
    _PLAIN[text] = tag
    return tag


def _decoded(tag: str) -> str:
    """An explicit tag with its %XX escapes decoded, as ruamel's `Tag.trval` does."""
    if "%" not in tag:
        return tag
    out: list[str] = []
    i = 0
    while i < len(tag):
        ch = tag[i]
        if ch == "%":
            try:
                out.append(chr(int(tag[i + 1 : i + 3], 16)))
            except ValueError:
                return tag
            i += 3
        else:
            out.append(ch)
            i += 1
    return "".join(out)


class _Lines:
    """Source lines by YAML's breaks, split on first use (block scalars only need them)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._lines: list[str] | None = None

    def __call__(self, line0: int) -> str:
        if self._lines is None:
            self._lines = BREAK.split(self.text)
        return self._lines[line0] if 0 <= line0 < len(self._lines) else ""


def _block_scalar_end(node: YNode, lines: _Lines) -> None:
    line, col = node.end_line, node.end_column
    if col == 0 and line > node.line:
        line -= 1
        while line > node.line and not lines(line).strip():
            line -= 1
        col = len(lines(line).rstrip())
    node.last_line, node.last_column = line, col


def _close(node: YNode, line: int, column: int) -> None:
    """Set a collection's end marks once its children are all in."""
    node.end_line, node.end_column = line, column
    last: YNode | None = None
    if not node.flow:
        if node.kind == MAP and node.pairs:
            key, last = node.pairs[-1]
            if last.empty:
                last = key
        elif node.kind == SEQ and node.items:
            last = node.items[-1]
    if last is not None and last.last_line >= 0:
        node.last_line, node.last_column = last.last_line, last.last_column
    else:
        node.last_line, node.last_column = line, column


def _add(parent: YNode | None, pending: list[YNode | None], node: YNode,
         docs: list[YNode | None]) -> None:
    """Attach a finished (or started) node to its parent collection, or as a document root."""
    if parent is None:
        docs[-1] = node
    elif parent.kind == SEQ:
        parent.items.append(node)
    else:
        key = pending[-1]
        if key is None:
            pending[-1] = node
        else:
            parent.pairs.append((key, node))
            pending[-1] = None


def compose(text: str) -> list[YNode | None]:
    """Every document's root node (None for an empty document) of `text`."""
    parser: Any = CParser(text)
    try:
        return _compose(parser, text)
    finally:
        parser.dispose()


def _compose(parser: Any, text: str) -> list[YNode | None]:
    docs: list[YNode | None] = []
    stack: list[YNode] = []  # open collections
    pending: list[YNode | None] = []  # per open mapping: its key awaiting a value
    anchors: dict[str, YNode] = {}
    lines = _Lines(text)
    get = parser.get_event
    while True:
        event = get()
        cls = type(event)
        parent = stack[-1] if stack else None
        if cls is ScalarEvent:
            mark = event.start_mark
            tag = event.tag
            if tag is None or tag == "!":
                tag = resolve_plain(event.value) if event.implicit[0] else STR
            else:
                tag = _decoded(tag)
            node = YNode(SCALAR, tag, mark.line, mark.column)
            node.text = event.value
            style = node.style = event.style
            end = event.end_mark
            node.end_line = node.last_line = end.line
            node.end_column = node.last_column = end.column
            if style == "|" or style == ">":
                _block_scalar_end(node, lines)
            if event.anchor is not None:
                _anchor(anchors, event, node)
            _add(parent, pending, node, docs)
        elif cls is MappingStartEvent or cls is SequenceStartEvent:
            mark = event.start_mark
            if len(stack) >= MAX_DEPTH:
                raise TooDeep(mark.line, mark.column)
            tag = event.tag
            if cls is MappingStartEvent:
                tag = _MAP_TAG if tag is None or tag == "!" else _decoded(tag)
                node = YNode(MAP, tag, mark.line, mark.column)
            else:
                tag = _SEQ_TAG if tag is None or tag == "!" else _decoded(tag)
                node = YNode(SEQ, tag, mark.line, mark.column)
            node.flow = bool(event.flow_style)
            if event.anchor is not None:
                _anchor(anchors, event, node)
            _add(parent, pending, node, docs)
            stack.append(node)
            pending.append(None)
        elif cls is MappingEndEvent or cls is SequenceEndEvent:
            node = stack.pop()
            pending.pop()
            end = event.end_mark
            _close(node, end.line, end.column)
        elif cls is AliasEvent:
            target = anchors.get(event.anchor)
            if target is None:
                raise ComposerError(None, None, "found undefined alias", event.start_mark)
            _add(parent, pending, target, docs)
        elif cls is DocumentStartEvent:
            docs.append(None)
        elif cls is DocumentEndEvent:
            anchors = {}
        elif cls is StreamEndEvent:
            return docs
        elif cls is not StreamStartEvent:  # pragma: no cover - libyaml makes no other events
            raise ComposerError(None, None, f"unexpected {cls.__name__}", event.start_mark)


def _anchor(anchors: dict[str, YNode], event: Any, node: YNode) -> None:
    first = anchors.get(event.anchor)
    if first is not None:
        raise ComposerError(
            "found duplicate anchor; first occurrence", first.anchor,
            "second occurrence", event.start_mark,
        )
    node.anchor = event.start_mark
    anchors[event.anchor] = node
