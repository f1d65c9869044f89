"""Turn composed ruamel.yaml nodes into model values, with 1-based spans and diagnostics.

`NodeReader` holds one file's path, source and diagnostics; `_yaml.py` walks the spec's
shape with it. ruamel's marks are 0-based (line, column in characters): converted here.
"""

from __future__ import annotations

import re

from promptspec.diagnostics import Code, Diagnostic
from promptspec.model import (
    FileRef,
    ListValue,
    Literal,
    RandomValue,
    Scalar,
    Span,
    Value,
)
from promptspec.syntax.yaml.events import MAP, SCALAR, SEQ, YNode, split_lines
from promptspec.syntax.yaml.records import (
    new_list,
    new_literal,
    new_range,
    new_span,
    new_spanned_literal,
)
from promptspec.syntax.yaml.scalars import BOOL, FLOAT, INT, MERGE, NULL, STR, number, scalar_value

__all__ = ["NodeReader", "describe"]

_RANDOM = re.compile(r"\s*random\(\s*([^,()\s]+)\s*(?:,\s*([^,()\s]+)\s*)?\)\s*")
Part = tuple[str, int] | None
"""A part of a range or `random` form: its text and where it starts in the form's text."""


def range_parts(text: str) -> list[Part] | None:
    """`text` read as a range (`1..4`, `5..9 step 0.5`, `0.2..0.8 count 4`), else None: the
    start, the end, the keyword and its number (the last two None when not given). Read
    in one pass, never by a backtracking expression."""
    dots = text.find("..")
    if dots < 0:
        return None
    left = text[:dots].strip()
    lead = len(text) - len(text.lstrip())
    if not left or left[0] == "." or len(left.split()) > 1:  # `left` has no space inside
        return None
    words: list[Part] = []
    at = dots + 2
    for word in text[at:].split():  # each word found from where the one before ends
        at = text.find(word, at)
        words.append((word, at))
        at += len(word)
    if len(words) == 1:
        return [(left, lead), words[0], None, None]
    if len(words) == 3 and words[1] is not None and words[1][0] in ("step", "count"):
        return [(left, lead), *words]
    return None


Form = tuple[str, Part, Part, str | None, Part]
"""A sweep axis's `random(n, seed)` ("random", n, seed, None, None) or range ("range",
start, end, keyword, its number), as `_axis_parts` reads it."""
_MISS: Form = ("", None, None, None, None)
_FORMS: dict[str, Form | None] = {}
"""Axis string -> its form (None: a plain string), for strings seen before (bounded)."""


def _axis_parts(text: str) -> Form | None:
    """The `random` form or range a sweep axis's string holds, or None."""
    m = _RANDOM.fullmatch(text) if "random" in text else None
    if m is not None:
        seed = m.group(2)
        return ("random", (m.group(1), m.start(1)),
                None if seed is None else (seed, m.start(2)), None, None)
    r = range_parts(text)
    if r is not None:
        return ("range", r[0], r[1], r[2][0] if r[2] is not None else None, r[3])
    return None


class NodeReader:
    """One file's source, path and diagnostics, and the node-to-model conversions."""

    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.diagnostics: list[Diagnostic] = []
        self._lines: list[str] | None = None

    # -- places -------------------------------------------------------------------------

    def line_text(self, line0: int) -> str:
        if self._lines is None:
            self._lines = split_lines(self.text)
        return self._lines[line0] if 0 <= line0 < len(self._lines) else ""

    def span(self, node: YNode, start: YNode | None = None) -> Span:
        """The span of `node` (starting at `start`'s beginning when given), 1-based.

        It ends at the node's own last character (`YNode.last_*`), not where libyaml
        ends block collections and block scalars (where the next token starts).
        """
        first = start or node
        return new_span(self.path, first.line + 1, first.column + 1,
                    node.last_line + 1, node.last_column + 1)

    def point(self, line0: int, col0: int, width: int = 1) -> Span:
        return new_span(self.path, line0 + 1, col0 + 1, line0 + 1, col0 + 1 + width)

    def error(self, code: Code, message: str, span: Span) -> None:
        self.diagnostics.append(Diagnostic(code, message, span))

    # -- mappings -----------------------------------------------------------------------

    def entries(self, node: YNode) -> list[tuple[str, YNode, YNode]]:
        """The mapping's (name, key node, value node), string keys only, first of each.

        A key given twice is PS002 at the later one. The first is kept, as the DSL
        front end keeps it: the later one is the reported mistake, so no other finding
        should come from its value, and the model is the same in both syntaxes.
        """
        seen: dict[str, YNode] = {}
        out: list[tuple[str, YNode, YNode]] = []
        items = iter(node.items)  # keys and values in turn
        for key, value in zip(items, items, strict=True):
            if key.tag != STR or key.kind != SCALAR:
                if key.kind == SCALAR and key.tag == MERGE:
                    msg = "YAML merge keys ('<<') are not supported; use 'extends'"
                else:
                    msg = f"a key must be a string, not {describe(key)}"
                self.error(Code.INVALID_STRUCTURE, msg, self.span(key))
                continue
            name = key.text
            first = seen.get(name)
            if first is not None:
                line = first.line + 1
                self.error(
                    Code.DUPLICATE_KEY, f"duplicate key {name!r}; first given at line {line}",
                    self.span(key),
                )
                continue
            seen[name] = key
            out.append((name, key, value))
        return out

    # -- values -------------------------------------------------------------------------

    def literal(self, node: YNode) -> Literal:
        line = node.line + 1
        if node.tag == STR:  # most scalars: no typing to do
            value: Scalar = node.text
        else:
            value = scalar_value(node)
            if not isinstance(value, str):
                text = node.text if type(value) in (int, float) else None
                return new_spanned_literal(value, self.path, line, node.column + 1,
                                           node.last_line + 1, node.last_column + 1,
                                           text, 0, False)
        style = node.style
        block = style == "|" or style == ">"
        # A block scalar's header line holds `|`: string line k is source line header + k.
        return new_spanned_literal(value, self.path, line, node.column + 1, node.last_line + 1,
                                   node.last_column + 1, None, line + 1 if block else line,
                                   block)

    def value(self, node: YNode, axis: bool = False) -> Value | None:
        """A field's value; None (after a PS007) when the node is no value at all."""
        kind = node.kind
        if kind == SCALAR:
            lit = self.literal(node)
            if axis and node.tag == STR:
                return self._axis_form(node, lit)
            return lit
        if kind == SEQ:
            return self._list(node, nested=False)
        return self.file_ref(node)

    def _list(self, node: YNode, nested: bool) -> ListValue:
        """A list; a list item may itself be a list (one level deep: the points of a sweep
        axis over an array parameter)."""
        items: list[Literal | FileRef | ListValue] = []
        path = self.path
        for item in node.items:
            if item.kind == SCALAR:
                if item.tag == STR and item.style == "":  # a plain string: `literal` written out
                    line = item.line + 1
                    items.append(new_spanned_literal(
                        item.text, path, line, item.column + 1, item.last_line + 1,
                        item.last_column + 1, None, line, False))
                else:
                    items.append(self.literal(item))
            elif item.kind == MAP:
                ref = self.file_ref(item)
                if ref is not None:
                    items.append(ref)
            elif not nested:
                items.append(self._list(item, nested=True))
            else:
                self.error(
                    Code.INVALID_STRUCTURE,
                    "a list item must be a scalar, {file: path} or a list of those, not a "
                    "list nested twice",
                    self.span(item),
                )
        return new_list(tuple(items), self.span(node))

    def file_ref(self, node: YNode) -> FileRef | None:
        entries = self.entries(node)
        names = [name for name, _, _ in entries]
        if names == ["file"]:
            target = entries[0][2]
            if target.kind == SCALAR and target.tag == STR and target.text:
                return FileRef(target.text, self.span(node))
            self.error(Code.INVALID_STRUCTURE, "'file' needs a path string", self.span(target))
            return None
        if not names and node.items:
            return None  # every key was already reported
        self.error(
            Code.INVALID_STRUCTURE,
            "a mapping is not a value here; only {file: path} is",
            self.span(node),
        )
        return None

    # -- sweep-only forms ---------------------------------------------------------------

    def _axis_form(self, node: YNode, lit: Literal) -> Value:
        text = str(lit.value)
        form = _FORMS.get(text, _MISS)
        if form is _MISS:
            if len(_FORMS) > 20_000:
                _FORMS.clear()
            form = _FORMS[text] = _axis_parts(text)
        if form is None:
            return lit
        offset = self._raw_offset(node)
        if form[0] == "random":
            n = self._part(node, lit, offset, form[1])
            assert n is not None
            return RandomValue(n, self._part(node, lit, offset, form[2]), lit.span)
        start = self._part(node, lit, offset, form[1])
        end = self._part(node, lit, offset, form[2])
        assert start is not None and end is not None
        extra = self._part(node, lit, offset, form[4])
        keyword = form[3]
        step = extra if keyword == "step" else None
        count = extra if keyword == "count" else None
        return new_range(start, end, step, count, lit.span)

    def _part(self, node: YNode, lit: Literal, offset: int | None, part: Part) -> Literal | None:
        """A part of a range or `random` form, placed in the source when `offset`
        (`_raw_offset`) says where the form's text starts, else at the whole string."""
        if part is None:
            return None
        text, at = part
        value = number(text)
        span = lit.span
        if offset is not None:
            line, col = node.line + 1, node.column + 1 + offset + at
            span = new_span(self.path, line, col, line, col + len(text))
        if isinstance(value, str):
            return new_literal(value, span, None, span.line)
        return new_literal(value, span, text)

    def _raw_offset(self, node: YNode) -> int | None:
        """Where the scalar's value starts inside its source text, if it is written as is.

        Only one-line plain or quoted scalars without escapes qualify; otherwise the
        parts of a range share the whole string's span.
        """
        if node.line != node.end_line or node.style not in (None, "", "'", '"'):
            return None
        raw = self.line_text(node.line)[node.column : node.end_column]
        offset = 1 if node.style in ("'", '"') else 0
        if raw[offset : len(raw) - offset] != node.text:
            return None
        return offset


def describe(node: YNode) -> str:
    """A node kind in the user's words, for messages."""
    if node.kind == MAP:
        return "a mapping"
    if node.kind == SEQ:
        return "a list"
    tag = node.tag
    if tag == NULL:
        return "null"
    if tag == BOOL:
        return "a boolean"
    if tag in (INT, FLOAT):
        return "a number"
    return f"{node.text!r}" if tag == STR else "a scalar"
