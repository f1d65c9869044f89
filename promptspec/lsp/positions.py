"""Places between the lint engine and the protocol.

Lint counts lines as the file's parser does (the DSL by `\\n`, YAML by every YAML line break)
and columns in code points, 1-based; the protocol counts lines by `\\r\\n`, `\\r` and `\\n` and
characters in the negotiated encoding (UTF-16 code units unless the client chose another),
0-based. Both are read through the offset in the text, so the two never drift apart.
"""

from __future__ import annotations

import bisect
import difflib
import re

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from promptspec import api
from promptspec.diagnostics import Edit
from promptspec.model import Span

__all__ = ["Lines", "edit_to_text_edit", "protocol_lines", "span_to_range", "text_edits"]

_BREAK = re.compile(r"\r\n|\r|\n")


def protocol_lines(text: str) -> list[str]:
    """The text's lines as the protocol counts them, each with its line break."""
    starts = [0, *(m.end() for m in _BREAK.finditer(text))]
    out = [text[s:e] for s, e in zip(starts, [*starts[1:], len(text)], strict=True)]
    return out[:-1] if len(out) > 1 and out[-1] == "" else out


class Lines:
    """One text, its lint lines and its protocol lines, and the client's encoding."""

    def __init__(self, text: str, codec: PositionCodec, path: str) -> None:
        self.text = text
        self.codec = codec
        self.lint_starts = api.line_starts(text, path)
        self.starts = [0, *(m.end() for m in _BREAK.finditer(text))]

    def _lint_offset(self, line: int, column: int) -> int:
        if line > len(self.lint_starts):
            return len(self.text)
        start = self.lint_starts[max(line, 1) - 1]
        end = self.lint_starts[line] if line < len(self.lint_starts) else len(self.text)
        end = len(self.text[start:end].rstrip("\r\n\x85\u2028\u2029")) + start
        return min(start + max(column, 1) - 1, end)

    def at_offset(self, offset: int) -> types.Position:
        line = bisect.bisect_right(self.starts, offset) - 1
        units = self.codec.client_num_units(self.text[self.starts[line]:offset])
        return types.Position(line=line, character=units)

    def position(self, line: int, column: int) -> types.Position:
        """A lint place (1-based line and code-point column) as a protocol position."""
        return self.at_offset(self._lint_offset(line, column))

    def offset(self, position: types.Position) -> int:
        """A protocol position as an offset in the text."""
        if position.line >= len(self.starts):
            return len(self.text)
        start = self.starts[position.line]
        end = self.starts[position.line + 1] if position.line + 1 < len(self.starts) else len(
            self.text)
        units = 0
        for i, ch in enumerate(self.text[start:end]):
            if units >= position.character or ch in "\r\n":
                return start + i
            units += self.codec.client_num_units(ch)
        return end

    def lint_place(self, offset: int) -> tuple[int, int]:
        """An offset as a lint place: 1-based line and code-point column."""
        line = bisect.bisect_right(self.lint_starts, offset) - 1
        return line + 1, offset - self.lint_starts[line] + 1


def span_to_range(span: Span, lines: Lines) -> types.Range:
    return types.Range(start=lines.position(span.line, span.column),
                       end=lines.position(span.end_line, span.end_column))


def edit_to_text_edit(edit: Edit, lines: Lines) -> types.TextEdit:
    return types.TextEdit(
        range=types.Range(start=lines.position(edit.line, edit.column),
                          end=lines.position(edit.end_line, edit.end_column)),
        new_text=edit.text)


def text_edits(old: str, new: str, codec: PositionCodec) -> list[types.TextEdit]:
    """Line-wise edits that turn `old` into `new`: whole protocol lines, so every position
    is a line start (character 0) in any encoding."""
    a, b = protocol_lines(old), protocol_lines(new)
    ends_open = bool(a) and a[-1][-1:] not in ("\r", "\n")
    out: list[types.TextEdit] = []

    def at(i: int) -> types.Position:
        if i < len(a) or not ends_open:
            return types.Position(line=i, character=0)
        # the end of a last line without a line break: past its last character
        return types.Position(line=len(a) - 1, character=codec.client_num_units(a[-1]))

    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag != "equal":
            out.append(types.TextEdit(range=types.Range(start=at(i1), end=at(i2)),
                                      new_text="".join(b[j1:j2])))
    return out
