"""Carry comments across `convert`: find a YAML file's comments, and place comments in output.

Output is built as `OutLine`s, each naming the source lines of the element it writes (its
anchor). `place_comments` then puts each source comment before the element that follows
it in the source, or at the end of the line of the element it trails.

YAML comments are found by scanning the source for `#` outside every scalar that ruamel's
composer reports (with its exact start and end): ruamel's round-trip loader attaches
comments to neighbouring nodes in shapes that vary with the context and loses some inside
flow collections, while the scan finds each one, with its line, exactly once.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

from promptspec.format.dsl_text import Comment

__all__ = ["OutLine", "OutLines", "place_comments", "yaml_comments"]


@dataclass(slots=True)
class OutLine:
    """One output line; `src` is the (first, last) source line of the element it opens."""

    text: str
    indent: int = 0
    src: tuple[int, int] | None = None
    block: bool = False  # the element is a block: a comment after its last line is no eol
    eol_ok: bool = True  # False where a comment cannot follow (the opening of a `\"\"\"`)
    before: list[Comment] = field(default_factory=list)
    eol: list[Comment] = field(default_factory=list)


class OutLines:
    """The lines a writer produces, in order; each writer adds its own elements."""

    def __init__(self) -> None:
        self.lines: list[OutLine] = []

    def add(self, text: str, indent: int, src: tuple[int, int] | None = None,
            block: bool = False) -> OutLine:
        out = OutLine(" " * indent + text, indent, src, block)
        self.lines.append(out)
        return out


def _trailed(lines: list[OutLine], c: Comment) -> OutLine | None:
    """The innermost element whose source lines hold the line of trailing comment `c`."""
    best: OutLine | None = None
    for out in lines:
        if out.src is None or not out.src[0] <= c.line <= out.src[1]:
            continue
        if out.block and c.line == out.src[1] and c.line != out.src[0]:
            continue  # `}  # end of it` belongs to no key
        if best is None or best.src is None or out.src[0] > best.src[0]:
            best = out
    return best


def _holder(lines: list[OutLine], c: Comment) -> OutLine | None:
    """The innermost non-block element whose source lines hold `c`'s line."""
    best: OutLine | None = None
    for out in lines:
        if out.block or out.src is None or not out.src[0] <= c.line <= out.src[1]:
            continue
        if best is None or best.src is None or out.src[0] > best.src[0]:
            best = out
    return best


def place_comments(lines: list[OutLine], comments: list[Comment]) -> list[str]:
    """The output text lines with every comment placed (none is ever dropped)."""
    anchored = sorted(
        (i for i, out in enumerate(lines) if out.src is not None),
        key=lambda i: (lines[i].src or (0, 0))[0],
    )
    tail: list[Comment] = []
    for c in comments:
        if not c.own_line:
            host = _trailed(lines, c)
            if host is not None:
                if host.eol_ok and not host.eol:
                    host.eol.append(c)
                else:
                    host.before.append(c)
                continue
        host = _holder(lines, c)
        if host is not None:  # a comment inside a list spread over lines: before its field
            host.before.append(c)
            continue
        nxt = next((i for i in anchored if (lines[i].src or (0, 0))[0] > c.line), None)
        if nxt is not None and nxt == anchored[0]:
            nxt = 0  # what comes before everything stays at the top
        (tail if nxt is None else lines[nxt].before).append(c)
    text: list[str] = []
    for out in lines:
        text += [" " * out.indent + c.text for c in out.before]
        text.append(out.text + "".join("  " + c.text for c in out.eol))
    text += [c.text for c in tail]
    return text


def _scalar_extents(root: Any, out: list[tuple[tuple[int, int], tuple[int, int]]]) -> None:
    """Where each scalar lies. Walked without recursion, each node once: an alias is the
    node it names, so a chain of aliases (a "billion laughs") costs its size, not its
    expansion."""
    from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

    seen: set[int] = set()
    todo = [root]
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, ScalarNode):
            s, e = node.start_mark, node.end_mark
            out.append(((s.line, s.column), (e.line, e.column)))
        elif isinstance(node, SequenceNode):
            todo.extend(node.value)
        elif isinstance(node, MappingNode):
            for key, value in node.value:
                todo.append(key)
                todo.append(value)


def yaml_comments(text: str) -> list[Comment]:
    """Every comment of a YAML source that ruamel composes (1-based places)."""
    from ruamel.yaml import YAML

    extents: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for doc in YAML(typ="safe", pure=True).compose_all(text):
        _scalar_extents(doc, extents)
    extents.sort()
    starts = [s for s, _ in extents]

    def in_scalar(here: tuple[int, int]) -> bool:
        i = bisect.bisect_right(starts, here) - 1
        return i >= 0 and here < extents[i][1]

    out: list[Comment] = []
    for line0, line in enumerate(text.split("\n")):
        col = 0
        while True:
            col = line.find("#", col)
            if col < 0:
                break
            here = (line0, col)
            starts_comment = col == 0 or line[col - 1] in " \t"
            if starts_comment and not in_scalar(here):
                own = not line[:col].strip()
                out.append(Comment(line0 + 1, col + 1, line[col:].rstrip(), own))
                break
            col += 1
    return out
