"""Places between the lint engine and the protocol: 1-based code-point spans and edits to
0-based ranges in the negotiated encoding (UTF-16 code units unless the client chose
another), and a text change as line-wise text edits.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from promptspec.diagnostics import Edit
from promptspec.model import Span

__all__ = ["Lines", "edit_to_text_edit", "span_to_range", "text_edits"]


class Lines:
    """A text's lines, and the codec that turns code points into the client's units."""

    def __init__(self, text: str, codec: PositionCodec) -> None:
        self.lines = text.splitlines(keepends=True) or [""]
        self.codec = codec

    def position(self, line: int, column: int) -> types.Position:
        """1-based (line, code-point column) as a protocol position."""
        ln = max(line - 1, 0)
        if ln >= len(self.lines):
            last = len(self.lines) - 1
            return self.position(last + 1, len(self.lines[last].rstrip("\r\n")) + 1)
        text = self.lines[ln].rstrip("\r\n")
        char = min(max(column - 1, 0), len(text))
        return self.codec.position_to_client_units(
            self.lines, types.Position(line=ln, character=char))

    def from_client(self, position: types.Position) -> tuple[int, int]:
        """A protocol position as 0-based (line, code-point column)."""
        p = self.codec.position_from_client_units(
            self.lines, types.Position(line=position.line, character=position.character))
        return p.line, p.character


def span_to_range(span: Span, lines: Lines) -> types.Range:
    return types.Range(start=lines.position(span.line, span.column),
                       end=lines.position(span.end_line, span.end_column))


def edit_to_text_edit(edit: Edit, lines: Lines) -> types.TextEdit:
    return types.TextEdit(
        range=types.Range(start=lines.position(edit.line, edit.column),
                          end=lines.position(edit.end_line, edit.end_column)),
        new_text=edit.text)


def text_edits(old: str, new: str, codec: PositionCodec) -> list[types.TextEdit]:
    """Line-wise edits that turn `old` into `new` (whole lines, so no unit converts)."""
    a = old.splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    out: list[types.TextEdit] = []
    if not a or a[-1].endswith("\n"):
        end_of_text = types.Position(line=len(a), character=0)
    else:  # after the last character of a last line without a line break
        end_of_text = types.Position(line=len(a) - 1,
                                     character=codec.client_num_units(a[-1]))

    def at(i: int) -> types.Position:
        return types.Position(line=i, character=0) if i < len(a) else end_of_text

    ops: Sequence[tuple[str, int, int, int, int]] = difflib.SequenceMatcher(
        a=a, b=b, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            continue
        out.append(types.TextEdit(range=types.Range(start=at(i1), end=at(i2)),
                                  new_text="".join(b[j1:j2])))
    return out
