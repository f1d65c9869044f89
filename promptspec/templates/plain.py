"""Templates of literal text and bare `{{ name }}` outputs, read without jinja2.

Most prompt templates are only that: text with names put in. Their pieces, and the line
of each name, are found here by one linear scan that follows jinja's lexer for exactly
this subset: line breaks made "\\n", one trailing line break dropped, white space inside
the tag skipped. Anything else (another kind of tag, a filter, white-space control, a
literal, a name jinja reads as a keyword, a name outside ASCII) gives None, and jinja
parses the template. So a spec whose templates are all plain never imports jinja2.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from promptspec.templates.bounds import MAX_OUTPUT, TemplateBoundError

__all__ = ["SANDBOX_GLOBALS", "SHOWN_AS_STR", "join_plain", "plain_pieces", "render_plain"]

SANDBOX_GLOBALS = frozenset({"dict", "namespace", "range"})
"""The names the sandbox defines for every template (its test holds it to the sandbox)."""

_NEWLINE = re.compile(r"\r\n|\r|\n")  # jinja's newline_re
_NAME = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*")
_NOT_NAMES = frozenset({"true", "false", "True", "False", "none", "None",
                        "and", "or", "not", "in", "is", "if", "else"})


@lru_cache(maxsize=4096)
def plain_pieces(source: str) -> tuple[tuple[bool, str, int], ...] | None:
    """(is a name, text or name, 1-based template line) of each piece, else None.

    Joining the texts and the names' values (as `str` gives them) is jinja's render.
    """
    lines = _NEWLINE.split(source)
    if lines[-1] == "":
        lines.pop()
    text = "\n".join(lines)
    pieces: list[tuple[bool, str, int]] = []
    pos, line = 0, 1
    while True:
        at = text.find("{", pos)
        while at >= 0 and text[at + 1:at + 2] not in ("{", "%", "#"):
            at = text.find("{", at + 1)
        if at < 0:
            if pos < len(text):
                pieces.append((False, text[pos:], line))
            return tuple(pieces)
        if text[at + 1] != "{" or text[at + 2:at + 3] in ("-", "+"):
            return None
        end = text.find("}}", at + 2)
        m = _NAME.fullmatch(text, at + 2, end) if end >= 0 else None
        if m is None or m.group(1) in _NOT_NAMES:
            return None
        if at > pos:
            pieces.append((False, text[pos:at], line))
        line += text.count("\n", pos, m.start(1))
        pieces.append((True, m.group(1), line))
        line += text.count("\n", m.start(1), end)
        pos = end + 2


SHOWN_AS_STR = frozenset({str, int, float, bool, type(None)})
"""The types whose values jinja shows as `str` shows them (the sandbox has no finalize)."""


def render_plain(pieces: tuple[tuple[bool, str, int], ...], context: dict[str, Any]
                 ) -> str | None:
    """jinja's render of a plain template with `context` (see `join_plain`)."""
    return join_plain(pieces, [context.get(text, context) for is_name, text, _ in pieces
                               if is_name])


def join_plain(pieces: tuple[tuple[bool, str, int], ...], values: Iterable[Any]) -> str | None:
    """The pieces joined with `values`, the value of each name in turn, as jinja shows
    them: when every one is a str, int, float, bool or None (which jinja shows as `str`
    shows them); None otherwise (a name unset, another type: jinja decides).
    TemplateBoundError past the sandbox's output bound, as the sandbox raises it."""
    given = iter(values)
    out: list[str] = []
    for is_name, text, _ in pieces:
        if not is_name:
            out.append(text)
            continue
        value = next(given)
        if type(value) not in SHOWN_AS_STR:
            return None
        try:
            out.append(str(value))
        except ValueError:  # an int past Python's digit limit: the sandbox words it
            return None
    rendered = "".join(out)
    if len(rendered) > MAX_OUTPUT:
        raise TemplateBoundError(f"the template renders more than {MAX_OUTPUT:,} characters")
    return rendered
