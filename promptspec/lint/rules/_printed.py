"""What the renders of a plain template tell apart, seen without rendering them.

A template of literal text and bare `{{ name }}` outputs renders a value by `str`; with
the other names it reads fixed, its renders differ exactly when a simple function of the
value's text differs (the text itself, or stripped on a side where stripping reaches it).
Duplicate points use this to see that an axis's values give different requests.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from promptspec.params import STRIPPED_FIELDS
from promptspec.templates.plain import SHOWN_AS_STR, plain_pieces

__all__ = ["printed_key"]

_MISSING = object()


def printed_key(source: str, name: str, field: str, ctx: dict[str, Any]
                ) -> Callable[[str], str] | None:
    """A function of `name`'s value as text (`str`) whose results differ exactly when renders
    of `source` with `ctx` (`name` changed) differ, seen without rendering; None when
    there is none. The template is literal text and bare names, each other name it reads
    is set to a scalar in `ctx`, and it outputs `name`. For a stripped field, stripping
    reaches the value only where nothing but blank literal text stands beside its one
    output: the value is then stripped on that side."""
    shape = _shape(source, name, field)
    if shape is None:
        return None
    others, key = shape
    for piece in others:
        if type(ctx.get(piece, _MISSING)) not in SHOWN_AS_STR:
            return None  # undefined, a global or another type: it may fail
    return key


@lru_cache(maxsize=4096)
def _shape(source: str, name: str, field: str
           ) -> tuple[tuple[str, ...], Callable[[str], str]] | None:
    """What `printed_key` gives whatever the context holds: the other names the template
    outputs (each must hold a scalar) and the key; None when there is none."""
    pieces = plain_pieces(source)
    if pieces is None:
        return None
    parts = tuple((is_name, text) for is_name, text, _ in pieces)
    at: list[int] = []
    others: list[str] = []
    for i, (is_name, piece) in enumerate(parts):
        if not is_name:
            continue
        if piece == name:
            at.append(i)
        else:
            others.append(piece)
    if not at:
        return None
    key = _key(parts, at, field)
    return None if key is None else (tuple(others), key)


def _key(parts: tuple[tuple[bool, str], ...], at: list[int], field: str
         ) -> Callable[[str], str] | None:
    if field not in STRIPPED_FIELDS:
        return str
    before, after = _side(parts[:at[0]]), _side(parts[at[-1] + 1:])
    if before is None or after is None or (len(at) > 1 and not (before and after)):
        return None
    if before and after:
        return str
    if before:
        return str.rstrip
    return str.lstrip if after else str.strip


def _side(parts: tuple[tuple[bool, str], ...]) -> bool | None:
    """True when literal text that is not blank stands there (stripping stops in it),
    False when only blank literal text does, None when a name's output may decide."""
    if any(not is_name and piece.strip() for is_name, piece in parts):
        return True
    return None if any(is_name for is_name, _ in parts) else False
