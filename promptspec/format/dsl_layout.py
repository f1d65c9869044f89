"""Lay out a parsed DSL tree in the canonical format, keeping every comment where it belongs.

Works on lark's tree (not the model), so nothing the user wrote is dropped or reordered:
duplicates, misplaced fields and all. The tree shape is documented in the grammar file.
A comment the layout has no place for (inside `random(...)` or `file(...)` spread over
lines) moves to its own line before the statement that holds it: moved, never lost.
"""

from __future__ import annotations

from typing import Any

from lark import Token, Tree

from promptspec.format.dsl_text import Comment, block_string, decode_block, decode_quoted, quote

__all__ = ["WIDTH", "TreeLayout"]

WIDTH = 100  # a list longer than this goes one item per line
_BLOCKS = ("vars_block", "preset", "prompt")
Pos = tuple[int, int]
Node = Tree[Any] | Token


def _start(node: Node) -> Pos:
    if isinstance(node, Token):
        return (node.line or 0, node.column or 0)
    return (node.meta.line, node.meta.column)


def _end(node: Node) -> Pos:
    if isinstance(node, Token):
        return (node.end_line or 0, node.end_column or 0)
    return (node.meta.end_line, node.meta.end_column)


def _concat(*fragments: list[str]) -> list[str]:
    """Join multi-line fragments end to start (the last line of one continues with the next)."""
    out = [""]
    for frag in fragments:
        out[-1] += frag[0]
        out.extend(frag[1:])
    return out


class _Placed:
    """Comments of one region sorted out against the region's items."""

    def __init__(self, n: int) -> None:
        self.inside: list[list[Comment]] = [[] for _ in range(n)]
        self.leading: list[list[Comment]] = [[] for _ in range(n)]
        self.trailing: list[list[Comment]] = [[] for _ in range(n)]
        self.header: list[Comment] = []
        self.footer: list[Comment] = []

    def any_outside(self) -> bool:
        return bool(self.header or self.footer or any(self.leading) or any(self.trailing))


def _place(items: list[Node], comments: list[Comment], header_line: int | None) -> _Placed:
    """Give each comment its item: inside it, before it, after it on its line, or none."""
    placed = _Placed(len(items))
    starts = [_start(it) for it in items]
    ends = [_end(it) for it in items]
    n = len(items)
    for c in comments:
        k = next((i for i in range(n) if starts[i] <= c.pos < ends[i]), None)
        if k is not None:
            placed.inside[k].append(c)
            continue
        if not c.own_line:
            k = next(
                (i for i in reversed(range(n)) if ends[i] <= c.pos and ends[i][0] == c.line), None
            )
            if k is not None:
                placed.trailing[k].append(c)
                continue
            if header_line == c.line:
                placed.header.append(c)
                continue
        k = next((i for i in range(n) if starts[i] > c.pos), None)
        (placed.footer if k is None else placed.leading[k]).append(c)
    return placed


class TreeLayout:
    """Formats one file's tree; `source` is the LF-only text the tree was parsed from."""

    def __init__(self, source: str, comments: list[Comment]) -> None:
        self.comments = comments
        self.blank = {i + 1 for i, line in enumerate(source.split("\n")) if not line.strip()}

    def format(self, tree: Tree[Any]) -> str:
        header, lines = self._members(list(tree.children), self.comments, 0, True, None)
        lines = [c.text for c in header] + lines
        return "\n".join(lines) + "\n" if lines else ""

    # -- blocks of statements -----------------------------------------------------------

    def _emit(self, out: list[str], line: int | None, text: str, force: bool) -> None:
        """Append `text`, after one blank line if forced or if the user left one before `line`."""
        if out and (force or (line is not None and line - 1 in self.blank)):
            out.append("")
        out.append(text)

    def _members(
        self,
        items: list[Node],
        comments: list[Comment],
        indent: int,
        top: bool,
        header_line: int | None,
    ) -> tuple[list[Comment], list[str]]:
        """(comments for the opening line, lines) of the statements of one file or body."""
        placed = _place(items, comments, header_line)
        pad = " " * indent
        out: list[str] = []
        prev_block = False
        for i, item in enumerate(items):
            lines, orphans = self._statement(item, placed.inside[i], indent)
            for extra in placed.trailing[i][1:]:  # one statement per line: never more than one
                orphans.append(extra)
            if placed.trailing[i]:
                lines[-1] += "  " + placed.trailing[i][0].text
            block = isinstance(item, Tree) and item.data in _BLOCKS
            force = top and (block or prev_block)
            for c in placed.leading[i]:
                self._emit(out, c.line, pad + c.text, force)
                force = False
            for c in orphans:
                self._emit(out, None, pad + c.text, force)
                force = False
            self._emit(out, _start(item)[0], lines[0], force)
            out.extend(lines[1:])
            prev_block = block
        for c in placed.footer:
            self._emit(out, c.line, pad + c.text, False)
        return placed.header, out

    def _statement(
        self, item: Node, comments: list[Comment], indent: int
    ) -> tuple[list[str], list[Comment]]:
        """One statement's lines and the comments inside it that found no place."""
        pad = " " * indent
        assert isinstance(item, Tree)
        kind = item.data
        if kind == "field":
            name_node, value = item.children
            name = name_node if isinstance(name_node, Token) else name_node.children[0]
            prefix = f"{pad}{name} = "
        elif kind in ("tune_stmt", "family_stmt"):
            prefix, value = f"{pad}{item.children[0]} ", item.children[1]
        elif kind == "import_stmt":
            prefix, value = f"{pad}import ", item.children[0]
        elif kind in ("vars_block", "sweep_block", "zip_block"):
            keyword, body = item.children
            return self._body(f"{pad}{keyword} ", body, comments, indent), []
        else:  # preset, prompt
            keyword, name, *rest = item.children
            head = f"{pad}{keyword} {name}"
            if len(rest) == 2:
                head += " : " + ", ".join(str(t) for t in rest[0].children)
            return self._body(head + " ", rest[-1], comments, indent), []
        lines, orphans = self._value(value, indent, len(prefix), comments)
        return _concat([prefix], lines), orphans

    def _body(self, head: str, body: Tree[Any], comments: list[Comment], indent: int) -> list[str]:
        lbrace, *members, _ = body.children
        header, lines = self._members(members, comments, indent + 2, False, _start(lbrace)[0])
        if not lines and not header:
            return [head + "{}"]
        first = head + "{"
        if header:
            first += "  " + header[0].text
            lines = [" " * (indent + 2) + c.text for c in header[1:]] + lines
        return [first, *lines, " " * indent + "}"]

    # -- values -------------------------------------------------------------------------

    def _value(
        self, node: Node, indent: int, used: int, comments: list[Comment]
    ) -> tuple[list[str], list[Comment]]:
        """A value's lines (the first continues the line it starts on) and unplaced comments."""
        if isinstance(node, Token) or node.data in ("string", "number", "const"):
            return self._scalar(node, indent), list(comments)
        kind = node.data
        if kind == "list":
            return self._list(node, indent, used, comments)
        parts: list[list[str]] = []
        for child in node.children:
            if isinstance(child, Token) and child.type in ("RANDOM", "FILE", "RPAR"):
                continue  # the keyword and ")" are written around the parts below
            if isinstance(child, Token) and child.type in ("STEP", "COUNT"):
                parts.append([f" {child} "])
            elif isinstance(child, Tree) and child.data in ("range_step", "range_count"):
                word = "step" if child.data == "range_step" else "count"
                parts += [[f" {word} "], self._scalar(child.children[-1], indent)]
            else:
                if parts and kind == "range" and parts[-1][-1][-1:] != " ":
                    parts.append([".."])
                elif parts and kind == "random":
                    parts.append([", "])
                parts.append(self._scalar(child, indent))
        if kind == "random":
            return _concat(["random("], *parts, [")"]), list(comments)
        if kind == "file_ref":
            return _concat(["file("], *parts, [")"]), list(comments)
        return _concat(*parts), list(comments)

    def _scalar(self, node: Node, indent: int) -> list[str]:
        """One scalar token (or a one-token rule around it) in canonical form."""
        tok = node if isinstance(node, Token) else node.children[0]
        assert isinstance(tok, Token)
        text = str(tok)
        if text.startswith('"""'):
            lines = block_string(decode_block(text), indent)
            return lines if lines is not None else text.split("\n")
        if text.startswith('"'):
            return [quote(decode_quoted(text))]
        return [text]  # numbers as written; true, false, null

    def _list(
        self, node: Tree[Any], indent: int, used: int, comments: list[Comment]
    ) -> tuple[list[str], list[Comment]]:
        lsqb = node.children[0]
        assert isinstance(lsqb, Token)
        items: list[Node] = list(node.children[1:-1])
        placed = _place(items, comments, lsqb.line)
        orphans: list[Comment] = []
        rendered: list[list[str]] = []
        for item, inside in zip(items, placed.inside, strict=True):
            lines, lost = self._value(item, indent + 2, indent + 2, inside)
            rendered.append(lines)
            orphans += lost
        if not placed.any_outside() and all(len(r) == 1 for r in rendered):
            flat = "[" + ", ".join(r[0] for r in rendered) + "]"
            if used + len(flat) <= WIDTH:
                return [flat], orphans
        pad = " " * (indent + 2)
        out = ["[" + "".join("  " + c.text for c in placed.header[:1])]
        out += [pad + c.text for c in placed.header[1:]]
        for i, lines in enumerate(rendered):
            out += [pad + c.text for c in placed.leading[i]]
            item_lines = _concat([pad], lines, [","])
            item_lines[-1] += "".join("  " + c.text for c in placed.trailing[i][:1])
            orphans += placed.trailing[i][1:]
            out += item_lines
        out += [pad + c.text for c in placed.footer]
        out.append(" " * indent + "]")
        return out, orphans
