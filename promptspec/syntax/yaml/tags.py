"""The tags YAML 1.2's core schema gives plain scalars, as ruamel's resolver gives them.

    resolve_plain(text)     the tag of a plain (untagged, unquoted) scalar
    IMPLICIT_TAGS           ruamel's table, written out: a plain file is read without ruamel
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["IMPLICIT_TAGS", "MAP_TAG", "NULL", "PLAIN_TAGS", "SEQ_TAG", "STR", "resolve_plain"]

_T = "tag:yaml.org,2002:"
STR, NULL = _T + "str", _T + "null"
MAP_TAG, SEQ_TAG = _T + "map", _T + "seq"
"""The tags of block and flow collections without a tag of their own."""

IMPLICIT_TAGS: tuple[tuple[str, str, int, tuple[str, ...]], ...] = (
    (_T + "bool", "^(?:true|True|TRUE|false|False|FALSE)$", re.X, tuple("tTfF")),
    (_T + "float", """^(?:
         [-+]?(?:[0-9][0-9_]*)\\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |[-+]?\\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\\.(?:inf|Inf|INF)
        |\\.(?:nan|NaN|NAN))$""", re.X, tuple("-+0123456789.")),
    (_T + "int", """^(?:[-+]?0b[0-1_]+
        |[-+]?0o?[0-7_]+
        |[-+]?[0-9_]+
        |[-+]?0x[0-9a-fA-F_]+)$""", re.X, tuple("-+0123456789")),
    (_T + "merge", "^(?:<<)$", 0, ("<",)),
    (_T + "null", """^(?: ~
        |null|Null|NULL
        | )$""", re.X, ("~", "n", "N", "")),
    (_T + "timestamp", """^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
        |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
        (?:[Tt]|[ \\t]+)[0-9][0-9]?
        :[0-9][0-9] :[0-9][0-9] (?:\\.[0-9]*)?
        (?:[ \\t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""", re.X, tuple("0123456789")),
    (_T + "value", "^(?:=)$", 0, ("=",)),
    (_T + "yaml", "^(?:!|&|\\*)$", 0, tuple("!&*")),
)
"""ruamel's YAML 1.2 implicit resolvers, in its order: tag, regular expression, its flags,
and the first characters it applies to ("": an empty scalar).
Written out here, so that a plain file is read without importing ruamel; a test holds
them to ruamel's own table."""


def _resolvers() -> dict[str, list[list[Any]]]:
    """The implicit resolvers by first character: [tag, pattern, flags], the expression
    compiled on first use (`resolve_plain`), not on import."""
    table: dict[str, list[list[Any]]] = {}
    for tag, pattern, flags, first in IMPLICIT_TAGS:
        entry = [tag, pattern, flags]  # one entry for every first character: compiled once
        for ch in first:
            table.setdefault(ch, []).append(entry)
    return table


_BY_FIRST = _resolvers()
PLAIN_TAGS: dict[str, str] = {}
"""Plain scalar text -> resolved tag, for texts seen before (bounded)."""


def resolve_plain(text: str) -> str:
    """The tag ruamel's resolver gives a plain (implicit) scalar."""
    tag = PLAIN_TAGS.get(text)
    if tag is not None:
        return tag
    tag = STR
    for entry in _BY_FIRST.get(text[:1], ()):
        regexp = entry[1]
        if not isinstance(regexp, re.Pattern):
            regexp = entry[1] = re.compile(regexp, entry[2])
        if regexp.match(text):
            tag = entry[0]
            break
    if len(PLAIN_TAGS) > 20_000:
        PLAIN_TAGS.clear()
    PLAIN_TAGS[text] = tag
    return tag
