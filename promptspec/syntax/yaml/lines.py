"""Compose the plainest YAML, line by line, into the very nodes libyaml's events give.

Most spec files are block mappings of `key: value` lines whose values are plain scalars,
quoted strings without escapes, one-line flow lists of such scalars, or nested mappings.
`compose_lines(text)` reads exactly that, one regular expression a line, and gives what
`events.compose` gives (every node, tag, style and mark alike); for anything else (a
list item, a block scalar, an anchor, a tag, a tab, a character outside printable ASCII,
an escape, a key or value spread over lines, any error) it gives None, and the caller
composes with libyaml, which has the last word on everything but this subset.

What a line holds, apart from its number (its key, value, columns and tags), is kept by
its text (`_RECIPES`): spec files repeat lines, so most lines are read once and only
placed after.
"""

from __future__ import annotations

import re
from typing import Any

from promptspec.syntax.yaml.events import MAP, SCALAR, SEQ, YNode, close
from promptspec.syntax.yaml.tags import MAP_TAG, NULL, PLAIN_TAGS, SEQ_TAG, STR
from promptspec.syntax.yaml.tags import resolve_plain as _resolve

__all__ = ["compose_lines"]

_MAX_DEPTH = 64
_UNREAD = re.compile(r"[^\n\x20-\x7e]")
"""A character this reader leaves to libyaml: a tab, a control or non-ASCII character
(whose columns libyaml counts its own way), any line break but `\\n`."""
_KEY = re.compile(r"( *)([A-Za-z_][A-Za-z0-9_-]{0,200}):(?: +|$)")
_PLAIN_START = re.compile(r"[A-Za-z0-9_./(~$+]|-[0-9.]")
"""How a plain scalar may begin here: never with a YAML indicator."""
_FLOW_UNREAD = re.compile(r"""[\[\]{}#:?&*!|>'"%@`]""")
_TAIL = re.compile(r" *(?: #.*)?")
"""What may follow a quoted scalar or a flow list on its line: spaces, a comment."""


def _scalar(text: str, line: int, column: int, end: int, style: str, tag: str) -> YNode:
    node = YNode()
    node.kind = SCALAR
    node.text = text
    node.tag = tag
    node.empty = tag == NULL and text == ""
    node.line = node.end_line = node.last_line = line
    node.column = column
    node.end_column = node.last_column = end
    node.style = style
    node.anchor = None
    return node


_EMPTY_TAG = _resolve("")


def _empty(line: int, column: int) -> YNode:
    """The empty plain scalar of a key without a value."""
    return _scalar("", line, column, column, "", _EMPTY_TAG)


def _collection(kind: int, line: int, column: int, flow: bool) -> YNode:
    node = YNode()
    node.kind = kind
    node.tag = MAP_TAG if kind == MAP else SEQ_TAG
    node.empty = False
    node.line = line
    node.column = column
    node.end_line = node.last_line = node.end_column = node.last_column = -1  # open
    node.flow = flow
    node.items = []
    node.anchor = None
    return node


Recipe = tuple[Any, ...]
"""What one line reads as, whatever its number: see `_read_line`."""
_SKIP: Recipe = ("skip",)
_MISS: Recipe = ("miss",)
_RECIPES: dict[str, Recipe | None] = {}
"""Line text -> its recipe (None: a line left to libyaml), for lines seen before (bounded):
spec files repeat their lines, within a file and from file to file."""


def _flow_list(rest: str, column: int) -> Recipe | None:
    """`[a, b, c]` of plain scalars starting at `column`: (its end column, its items' text,
    column and tag), or None."""
    shut = rest.find("]")
    if shut < 0 or not _TAIL.fullmatch(rest, shut + 1):
        return None
    inner = rest[1:shut]
    if _FLOW_UNREAD.search(inner):
        return None
    items: list[tuple[str, int, str]] = []
    if inner.strip():
        at = column + 1
        for item in inner.split(","):
            value = item.strip(" ")
            if not value or not _PLAIN_START.match(value):
                return None
            items.append((value, at + item.index(value), PLAIN_TAGS.get(value) or _resolve(value)))
            at += len(item) + 1
    return (SEQ, column, column + shut + 1, tuple(items))


def _value(rest: str, column: int) -> Recipe | None:
    """The scalar (SCALAR, text, column, end, style, tag) or flow list (`_flow_list`) that
    `rest` (the line from `column` on) holds, or None."""
    first = rest[0]
    if first == '"' or first == "'":
        shut = rest.find(first, 1)
        if shut < 0 or not _TAIL.fullmatch(rest, shut + 1):
            return None
        text = rest[1:shut]
        if first == '"' and "\\" in text:
            return None
        return (SCALAR, text, column, column + shut + 1, first, STR)
    if first == "[":
        return _flow_list(rest, column)
    if not _PLAIN_START.match(rest):
        return None
    comment = rest.find(" #")
    text = (rest if comment < 0 else rest[:comment]).rstrip(" ")
    if ": " in text or text.endswith(":"):
        return None
    return (SCALAR, text, column, column + len(text), "", PLAIN_TAGS.get(text) or _resolve(text))


def _read_line(line: str) -> Recipe | None:
    """What `line` holds, apart from its number: `_SKIP` (a blank or comment line), None
    (anything else this reader leaves to libyaml), or (indent, key, the key's tag, where
    its colon ends, its value's recipe: None when the value is on lines below)."""
    m = _KEY.match(line)
    if m is None:
        body = line.lstrip(" ")
        return _SKIP if not body or body[0] == "#" else None
    spaces, key = m.groups()
    indent = len(spaces)
    key_tag = PLAIN_TAGS.get(key) or _resolve(key)
    start = m.end()
    if start == len(line) or line[start] == "#":
        return (indent, key, key_tag, indent + len(key) + 1, None)
    value = _value(line[start:], start)
    if value is None:
        return None
    return (indent, key, key_tag, indent + len(key) + 1, value)


def _node(recipe: Recipe, line: int) -> YNode:
    """The value node a line's recipe gives on line `line`."""
    if recipe[0] == SCALAR:
        _, text, column, end, style, tag = recipe
        return _scalar(text, line, column, end, style, tag)
    _, column, end, items = recipe
    node = _collection(SEQ, line, column, True)
    node.items = [_scalar(text, line, at, at + len(text), "", tag) for text, at, tag in items]
    node.end_line = node.last_line = line
    node.end_column = node.last_column = end
    return node


def compose_lines(text: str) -> list[YNode | None] | None:
    """The documents `events.compose(text)` gives, when `text` is of the plainest YAML (one
    block mapping, see the module's docstring); None otherwise."""
    if not text or _UNREAD.search(text):
        return None
    lines = text.split("\n")
    root: YNode | None = None
    open_: list[tuple[int, YNode]] = []  # (indent, mapping), innermost last
    top = -1  # the innermost mapping's indent
    add: Any = None  # where its keys and values go
    pending: tuple[int, int] | None = None  # a key still waiting for its value: its colon's end
    recipes = _RECIPES
    if len(recipes) > 20_000:
        recipes.clear()
    for number, line in enumerate(lines):
        recipe = recipes.get(line, _MISS)
        if recipe is _MISS:
            recipe = recipes[line] = _read_line(line)
        if recipe is _SKIP:
            continue  # a blank or comment line
        if recipe is None:
            return None
        indent, key, key_tag, colon, value = recipe
        if pending is not None and indent > top:
            if len(open_) >= _MAX_DEPTH:
                return None
            inner = _collection(MAP, number, indent, False)
            add(inner)
            open_.append((indent, inner))
            top, add = indent, inner.items.append
            pending = None
        elif indent != top:
            if pending is not None:
                add(_empty(*pending))
                pending = None
            if root is None:
                if indent:
                    return None
                root = _collection(MAP, number, 0, False)
                open_.append((0, root))
            while indent < open_[-1][0]:
                close(open_.pop()[1], number, indent)
                if not open_:
                    return None
            top, mapping = open_[-1]
            if indent != top:
                return None
            add = mapping.items.append
        elif pending is not None:
            add(_empty(*pending))
            pending = None
        node = YNode()  # the key: `_scalar` written out, for the one made for every line
        node.kind = SCALAR
        node.text = key
        node.tag = key_tag
        node.empty = False
        node.line = node.end_line = node.last_line = number
        node.column = indent
        node.end_column = node.last_column = colon - 1
        node.style = ""
        node.anchor = None
        add(node)
        if value is None:
            pending = (number, colon)
        elif value[0] == SCALAR:
            _, vtext, column, end, style, tag = value
            node = YNode()
            node.kind = SCALAR
            node.text = vtext
            node.tag = tag
            node.empty = False  # a value written out is never the empty null
            node.line = node.end_line = node.last_line = number
            node.column = column
            node.end_column = node.last_column = end
            node.style = style
            node.anchor = None
            add(node)
        else:
            add(_node(value, number))
    if root is None:
        return None
    if pending is not None:
        open_[-1][1].items.append(_empty(*pending))
    # libyaml ends the mappings indented past the end of the last line there, then (the
    # stream's end on a line of its own) the others at the start of the next line
    last, column = len(lines) - 1, len(lines[-1])
    while open_ and open_[-1][0] > column:
        close(open_.pop()[1], last, column)
    while open_:
        close(open_.pop()[1], last + (column > 0), 0)
    return [root]
