"""Compose YAML into light nodes straight from the C parser's event stream.

ruamel's composer calls its Python resolver for every scalar and builds heavy node objects;
a spec needs neither. `compose(text)` walks libyaml's events once, without recursion,
types plain scalars by the YAML 1.2 core schema (ruamel's own table, `tags.IMPLICIT_TAGS`,
the tags its composer gives), keeps anchors and aliases as its composer does, and computes each
node's end once.
Errors are ruamel's (`MarkedYAMLError`, `ReaderError`, ...), raised as it raises them;
nesting deeper than `MAX_DEPTH` raises `TooDeep`.
"""

from __future__ import annotations

from typing import Any

from promptspec.syntax import YAML_BREAK
from promptspec.syntax.yaml.tags import MAP_TAG, NULL, PLAIN_TAGS, SEQ_TAG, STR, resolve_plain

__all__ = ["MAP", "MAX_DEPTH", "NULL", "PLAIN_TAGS", "SCALAR", "SEQ", "STR", "TooDeep", "YNode",
           "close", "compose", "resolve_plain", "split_lines"]

MAX_DEPTH = 1000
"""Deeper nesting than any spec needs."""

SCALAR, SEQ, MAP = 0, 1, 2

BREAK = YAML_BREAK


class TooDeep(Exception):
    """Nesting beyond MAX_DEPTH, at the 0-based place of the collection that goes too deep."""

    def __init__(self, line: int, column: int) -> None:
        super().__init__(line, column)
        self.line = line
        self.column = column


class YNode:
    """One composed node. Marks are 0-based (line, column in characters).

    Every node has `kind` (SCALAR, SEQ or MAP), `tag`, `anchor`, its start (`line`,
    `column`), libyaml's end mark (`end_*`), the end of its own text (`last_*`: block
    collections and block scalars end at their last character, not where the next token
    starts) and `empty`: a value left out (`key:` with nothing after it, a plain empty
    null). A scalar has `text` and `style`; a collection has `flow` and `items`: a
    sequence's nodes, or a mapping's keys and values in turn. Nodes are made by `compose`
    alone, which sets just these (no `__init__`: one call fewer for each of hundreds).
    """

    __slots__ = (
        "anchor",
        "column",
        "empty",
        "end_column",
        "end_line",
        "flow",
        "items",
        "kind",
        "last_column",
        "last_line",
        "line",
        "style",
        "tag",
        "text",
    )

    kind: int
    tag: str
    line: int
    column: int
    end_line: int
    end_column: int
    last_line: int
    last_column: int
    anchor: Any
    empty: bool
    text: str
    style: str | None
    flow: bool
    items: list[YNode]


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


def split_lines(text: str) -> list[str]:
    """`text`'s lines by YAML's breaks (`BREAK.split`); by `\n` alone, several times
    faster, when the text holds no other break."""
    if "\r" in text or "\x85" in text or "\u2028" in text or "\u2029" in text:
        return BREAK.split(text)
    return text.split("\n")


class _Lines:
    """Source lines by YAML's breaks, split on first use (block scalars only need them)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._lines: list[str] | None = None

    def __call__(self, line0: int) -> str:
        if self._lines is None:
            self._lines = split_lines(self.text)
        return self._lines[line0] if 0 <= line0 < len(self._lines) else ""


def _block_scalar_end(node: YNode, lines: _Lines) -> None:
    line, col = node.end_line, node.end_column
    if col == 0 and line > node.line:
        line -= 1
        while line > node.line and not lines(line).strip():
            line -= 1
        col = len(lines(line).rstrip())
    node.last_line, node.last_column = line, col


def compose(text: str) -> list[YNode | None]:
    """Every document's root node (None for an empty document) of `text`, by libyaml
    (ruamel's C parser, imported only when a file needs it)."""
    from ruamel.yaml.cyaml import CParser  # type: ignore[attr-defined]  # re-exported

    parser: Any = CParser(text)
    try:
        return _compose(parser, text)
    finally:
        parser.dispose()


def _compose(parser: Any, text: str) -> list[YNode | None]:
    """The event loop, written flat: a spec file has hundreds of events, and a call per
    event or per attribute would cost more than libyaml's parsing does."""
    from ruamel.yaml.composer import ComposerError
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

    docs: list[YNode | None] = []
    open_: list[YNode] = []  # open collections
    adds: list[Any] = []  # for each open collection, where its parent takes a node
    add: Any = None  # where the next node goes: the innermost open collection, or the root
    root: list[YNode] = []
    anchors: dict[str, YNode] = {}
    lines = _Lines(text)
    get = parser.get_event
    plain = PLAIN_TAGS
    while True:
        event = get()
        cls = type(event)
        if cls is ScalarEvent:
            node = YNode()
            value = node.text = event.value
            tag = event.ctag  # the tag as given (`event.tag` is the same, through a property)
            if tag is None or (tag := str(tag)) == "!":
                tag = (plain.get(value) or resolve_plain(value)) if event.implicit[0] else STR
            elif "%" in tag:
                tag = _decoded(tag)
            node.kind = SCALAR
            node.tag = tag
            node.empty = tag == NULL and value == ""
            mark = event.start_mark
            node.line = mark.line
            node.column = mark.column
            mark = event.end_mark
            node.end_line = node.last_line = mark.line
            node.end_column = node.last_column = mark.column
            style = node.style = event.style
            if style == "|" or style == ">":
                _block_scalar_end(node, lines)
            anchor = node.anchor = event.anchor  # its start mark, once registered (`_anchor`)
            if anchor is not None:
                _anchor(anchors, anchor, event.start_mark, node)
            add(node)
        elif cls is MappingStartEvent or cls is SequenceStartEvent:
            mark = event.start_mark
            if len(open_) >= MAX_DEPTH:
                raise TooDeep(mark.line, mark.column)
            node = YNode()
            tag = event.ctag
            if tag is not None and (tag := str(tag)) != "!":
                tag = _decoded(tag)
            elif cls is MappingStartEvent:
                tag = MAP_TAG
            else:
                tag = SEQ_TAG
            node.kind = MAP if cls is MappingStartEvent else SEQ
            node.tag = tag
            node.empty = False
            node.line = mark.line
            node.column = mark.column
            node.end_line = node.last_line = node.end_column = node.last_column = -1  # open
            node.flow = bool(event.flow_style)
            node.items = []
            node.anchor = None
            anchor = event.anchor
            if anchor is not None:
                _anchor(anchors, anchor, mark, node)
            add(node)
            open_.append(node)
            adds.append(add)
            add = node.items.append
        elif cls is MappingEndEvent or cls is SequenceEndEvent:
            node = open_.pop()
            add = adds.pop()
            mark = event.end_mark
            close(node, mark.line, mark.column)
        elif cls is AliasEvent:
            target = anchors.get(event.anchor)
            if target is None:
                raise ComposerError(None, None, "found undefined alias", event.start_mark)
            add(target)
        elif cls is DocumentStartEvent:
            root = []
            add = root.append
        elif cls is DocumentEndEvent:
            docs.append(root[0] if root else None)
            anchors = {}
        elif cls is StreamEndEvent:
            return docs
        elif cls is not StreamStartEvent:  # pragma: no cover - libyaml makes no other events
            raise ComposerError(None, None, f"unexpected {cls.__name__}", event.start_mark)


def close(node: YNode, line: int, column: int) -> None:
    """Set a collection's end marks once its children are all in."""
    node.end_line, node.end_column = line, column
    last: YNode | None = None
    items = node.items
    if items and not node.flow:
        last = items[-1]
        if node.kind == MAP and last.empty:
            last = items[-2]
    if last is not None and last.last_line >= 0:
        node.last_line, node.last_column = last.last_line, last.last_column
    else:
        node.last_line, node.last_column = line, column


def _anchor(anchors: dict[str, YNode], name: str, mark: Any, node: YNode) -> None:
    first = anchors.get(name)
    if first is not None:
        from ruamel.yaml.composer import ComposerError

        raise ComposerError(
            "found duplicate anchor; first occurrence", first.anchor,
            "second occurrence", mark,
        )
    node.anchor = mark
    anchors[name] = node
