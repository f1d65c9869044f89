"""Turn composed ruamel.yaml nodes into model values, with 1-based spans and diagnostics.

`NodeReader` holds one file's path, source and diagnostics; `_yaml.py` walks the spec's
shape with it. ruamel's marks are 0-based (line, column in characters): converted here.
"""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from promptspec._yaml_scalars import (
    BOOL,
    FLOAT,
    INT,
    MERGE,
    NULL,
    STR,
    is_empty,
    number,
    scalar_value,
    tag_of,
)
from promptspec.diagnostics import Diagnostic
from promptspec.model import (
    FileRef,
    ListValue,
    Literal,
    RandomValue,
    RangeValue,
    Span,
    Value,
)

__all__ = ["NodeReader", "describe", "line_starts"]

# YAML's own line breaks (libyaml counts lines by these, so we must too).
_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
_RANDOM = re.compile(r"\s*random\(\s*([^,()\s]+)\s*(?:,\s*([^,()\s]+)\s*)?\)\s*")
_RANGE = re.compile(r"\s*([^\s.]\S*?)\s*\.\.\s*(\S+?)(?:\s+(step|count)\s+(\S+))?\s*")


def line_starts(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of each source line, by YAML's line breaks."""
    out: list[tuple[int, int]] = []
    pos = 0
    for m in _BREAK.finditer(text):
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, len(text)))
    return out


class NodeReader:
    """One file's source, path and diagnostics, and the node-to-model conversions."""

    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.diagnostics: list[Diagnostic] = []
        self._lines: list[tuple[int, int]] | None = None

    # -- places -------------------------------------------------------------------------

    def line_text(self, line0: int) -> str:
        if self._lines is None:
            self._lines = line_starts(self.text)
        if not 0 <= line0 < len(self._lines):
            return ""
        start, end = self._lines[line0]
        return self.text[start:end]

    def end_of(self, node: Node) -> tuple[int, int]:
        """0-based end of a node's own text.

        libyaml ends block collections and block scalars where the next token starts
        (often the next key's line); a finding should end at the node's last character.
        """
        if isinstance(node, ScalarNode) and node.style in ("|", ">"):
            line, col = node.end_mark.line, node.end_mark.column
            if col == 0 and line > node.start_mark.line:
                line -= 1
                while line > node.start_mark.line and not self.line_text(line).strip():
                    line -= 1
                return line, len(self.line_text(line).rstrip())
        elif isinstance(node, (MappingNode, SequenceNode)) and not node.flow_style and node.value:
            last = node.value[-1]
            if isinstance(node, MappingNode):
                key, last = last
                if is_empty(last):
                    last = key
            return self.end_of(last)
        return node.end_mark.line, node.end_mark.column

    def span(self, node: Node, start: Node | None = None) -> Span:
        """The span of `node` (starting at `start`'s beginning when given), 1-based."""
        first = (start or node).start_mark
        line, col = self.end_of(node)
        return Span(self.path, first.line + 1, first.column + 1, line + 1, col + 1)

    def point(self, line0: int, col0: int, width: int = 1) -> Span:
        return Span(self.path, line0 + 1, col0 + 1, line0 + 1, col0 + 1 + width)

    def error(self, code: str, message: str, span: Span) -> None:
        self.diagnostics.append(Diagnostic(code, message, span))

    # -- mappings -----------------------------------------------------------------------

    def entries(self, node: MappingNode) -> list[tuple[str, ScalarNode, Node]]:
        """The mapping's (name, key node, value node), string keys only, first of each.

        A key given twice is PS002 at the later one. The first is kept, as the DSL
        front end keeps it: the later one is the reported mistake, so no other finding
        should come from its value, and the model is the same in both syntaxes.
        """
        seen: dict[str, ScalarNode] = {}
        out: list[tuple[str, ScalarNode, Node]] = []
        for key, value in node.value:
            if not (isinstance(key, ScalarNode) and tag_of(key) == STR):
                if isinstance(key, ScalarNode) and tag_of(key) == MERGE:
                    msg = "YAML merge keys ('<<') are not supported; use 'extends'"
                else:
                    msg = f"a key must be a string, not {describe(key)}"
                self.error("PS007", msg, self.span(key))
                continue
            name = str(key.value)
            first = seen.get(name)
            if first is not None:
                line = first.start_mark.line + 1
                self.error(
                    "PS002", f"duplicate key {name!r}; first given at line {line}", self.span(key)
                )
                continue
            seen[name] = key
            out.append((name, key, value))
        return out

    # -- values -------------------------------------------------------------------------

    def literal(self, node: ScalarNode) -> Literal:
        value = scalar_value(node)
        span = self.span(node)
        if isinstance(value, str):
            if node.style in ("|", ">"):
                # The header line holds `|`; string line k is source line header + k.
                return Literal(value, span, None, node.start_mark.line + 2, True)
            return Literal(value, span, None, span.line, False)
        text = str(node.value) if type(value) in (int, float) else None
        return Literal(value, span, text)

    def value(self, node: Node, axis: bool = False) -> Value | None:
        """A field's value; None (after a PS007) when the node is no value at all."""
        if isinstance(node, ScalarNode):
            lit = self.literal(node)
            if axis and tag_of(node) == STR and isinstance(lit.value, str):
                return self._axis_form(node, lit)
            return lit
        if isinstance(node, SequenceNode):
            items: list[Literal | FileRef] = []
            for item in node.value:
                if isinstance(item, ScalarNode):
                    items.append(self.literal(item))
                elif isinstance(item, MappingNode):
                    ref = self.file_ref(item)
                    if ref is not None:
                        items.append(ref)
                else:
                    self.error(
                        "PS007",
                        "a list item must be a scalar or {file: path}, not a nested list",
                        self.span(item),
                    )
            return ListValue(tuple(items), self.span(node))
        if isinstance(node, MappingNode):
            return self.file_ref(node)
        return None  # pragma: no cover - the composer makes only these three kinds

    def file_ref(self, node: MappingNode) -> FileRef | None:
        entries = self.entries(node)
        names = [name for name, _, _ in entries]
        if names == ["file"]:
            target = entries[0][2]
            if isinstance(target, ScalarNode) and tag_of(target) == STR and target.value:
                return FileRef(str(target.value), self.span(node))
            self.error("PS007", "'file' needs a path string", self.span(target))
            return None
        if not names and node.value:
            return None  # every key was already reported
        self.error(
            "PS007",
            "a mapping is not a value here; only {file: path} is",
            self.span(node),
        )
        return None

    # -- sweep-only forms ---------------------------------------------------------------

    def _axis_form(self, node: ScalarNode, lit: Literal) -> Value:
        text = str(lit.value)
        m = _RANDOM.fullmatch(text)
        if m is not None:
            n = self._part(node, lit, m, 1)
            assert n is not None
            return RandomValue(n, self._part(node, lit, m, 2), lit.span)
        m = _RANGE.fullmatch(text)
        if m is not None:
            start = self._part(node, lit, m, 1)
            end = self._part(node, lit, m, 2)
            assert start is not None and end is not None
            extra = self._part(node, lit, m, 4)
            step = extra if m.group(3) == "step" else None
            count = extra if m.group(3) == "count" else None
            return RangeValue(start, end, step, count, lit.span)
        return lit

    def _part(self, node: ScalarNode, lit: Literal, m: re.Match[str], group: int) -> Literal | None:
        text = m.group(group)
        if text is None:
            return None
        value = number(text)
        span = lit.span
        offset = self._raw_offset(node)
        if offset is not None:
            line0, col0 = node.start_mark.line, node.start_mark.column + offset + m.start(group)
            span = self.point(line0, col0, len(text))
        if isinstance(value, str):
            return Literal(value, span, None, span.line)
        return Literal(value, span, text)

    def _raw_offset(self, node: ScalarNode) -> int | None:
        """Where the scalar's value starts inside its source text, if it is written as is.

        Only one-line plain or quoted scalars without escapes qualify; otherwise the
        parts of a range share the whole string's span.
        """
        start, end = node.start_mark, node.end_mark
        if start.line != end.line or node.style not in (None, "", "'", '"'):
            return None
        raw = self.line_text(start.line)[start.column : end.column]
        offset = 1 if node.style in ("'", '"') else 0
        if raw[offset : len(raw) - offset] != node.value:
            return None
        return offset


def describe(node: Any) -> str:
    """A node kind in the user's words, for messages."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if isinstance(node, ScalarNode):
        tag = tag_of(node)
        if tag == NULL:
            return "null"
        if tag == BOOL:
            return "a boolean"
        if tag in (INT, FLOAT):
            return "a number"
        return f"{node.value!r}" if tag == STR else "a scalar"
    return "something else"
