"""Compose YAML documents (`_yaml_events`), turning every failure into one PS001.

ruamel reports 0-based marks (the C reader's `position` in bytes); the diagnostic is
1-based and counts characters. Nesting deeper than `MAX_DEPTH` is refused too.
"""

from __future__ import annotations

from typing import Any

from promptspec.diagnostics import Code, Diagnostic
from promptspec.model import Span
from promptspec.syntax.yaml.events import BREAK, MAX_DEPTH, TooDeep, YNode, compose
from promptspec.syntax.yaml.lines import compose_lines

__all__ = ["MAX_DEPTH", "compose_documents"]


def compose_documents(text: str, path: str) -> tuple[list[YNode | None], Diagnostic | None]:
    """Every document's root node (None for an empty stream), or the PS001 that stops it.
    The plainest files are read line by line (`compose_lines`), the others by libyaml."""
    plain = compose_lines(text)
    if plain is not None:
        return plain, None
    from ruamel.yaml.error import MarkedYAMLError
    from ruamel.yaml.reader import ReaderError

    try:
        return compose(text), None
    except TooDeep as deep:
        return [], _diag(path, deep.line, deep.column, f"nesting deeper than {MAX_DEPTH} levels")
    except MarkedYAMLError as err:
        return [], _marked(err, text, path)
    except ReaderError as err:
        return [], _reader(err, text, path)
    except UnicodeEncodeError as err:
        line, col = _place(text, err.start)
        return [], _diag(path, line, col, f"invalid character {text[err.start]!r} in the file")
    except Exception as err:  # ruamel raises more than its documented YAMLError family
        return [], _diag(path, 0, 0, f"cannot parse this YAML: {err}".splitlines()[0])


def _diag(path: str, line0: int, col0: int, message: str) -> Diagnostic:
    return Diagnostic(Code.SYNTAX_ERROR,
                      message, Span(path, line0 + 1, col0 + 1, line0 + 1, col0 + 2))


def _place(text: str, index: int) -> tuple[int, int]:
    """0-based line and column (in characters) of a character offset."""
    line, start = 0, 0
    for m in BREAK.finditer(text, 0, index):
        line, start = line + 1, m.end()
    return line, index - start


def _line_text(text: str, line0: int) -> str:
    lines = BREAK.split(text)
    return lines[line0] if 0 <= line0 < len(lines) else ""


def _marked(err: Any, text: str, path: str) -> Diagnostic:  # a MarkedYAMLError
    mark = err.problem_mark or err.context_mark
    line, col = (mark.line, mark.column) if mark is not None else (0, 0)
    problem, context, cmark = err.problem, err.context, err.context_mark
    if context and "duplicate anchor" in context and cmark is not None:
        return _diag(path, line, col, f"duplicate anchor; first defined at line {cmark.line + 1}")
    message = f"invalid YAML: {problem or context or 'cannot parse'}"
    if problem and context and cmark is not None and (cmark.line, cmark.column) != (line, col):
        message += f" ({context} at line {cmark.line + 1}, column {cmark.column + 1})"
    if _line_text(text, line)[col : col + 1] == "\t":
        message += "; YAML does not allow tabs for indentation"
    return _diag(path, line, col, message)


def _reader(err: Any, text: str, path: str) -> Diagnostic:  # a ReaderError
    # The C reader counts `position` in UTF-8 bytes; find the character it names.
    position = int(getattr(err, "position", 0) or 0)
    index = len(text.encode("utf-8")[:position].decode("utf-8", errors="ignore"))
    char = getattr(err, "character", None)
    if isinstance(char, int) and text[index : index + 1] != chr(char):
        found = text.find(chr(char))
        index = found if found >= 0 else index
    line, col = _place(text, index)
    shown = f"{chr(char)!r}" if isinstance(char, int) else "character"
    reason = getattr(err, "reason", None) or "not allowed"
    return _diag(path, line, col, f"invalid YAML: {shown}: {reason}")
