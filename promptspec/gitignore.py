"""`.gitignore` patterns, matched by git's rules in time linear in the pattern times the path.

    IgnoreFile.from_lines(lines)     one `.gitignore` file's patterns
    IgnoreFile.match(rel, is_dir)    True (ignored), False (re-included by `!`), None (silent)

Patterns are matched segment by segment with a dynamic programme (no regular expression, so
no crafted pattern or path makes matching backtrack): `*`, `?` and `[...]` within a
segment, `**` across segments, a leading `/` or an inner `/` anchors the pattern to the
folder of its file, a trailing `/` matches only folders, `!` re-includes, the last matching
pattern wins, and a pattern that matches a folder covers what lies below it. A class git
accepts but that can match nothing (`[z-a]`) matches nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["IgnoreFile", "wildcard"]

_STAR_STAR = "**"


def _class_end(p: str, i: int) -> int:
    """The index just past the `]` closing the class that opens at p[i] == '[', else -1."""
    j = i + 1
    if j < len(p) and p[j] in "!^":
        j += 1
    if j < len(p) and p[j] == "]":
        j += 1
    while j < len(p) and p[j] != "]":
        j += 2 if p[j] == "\\" else 1
    return j + 1 if j < len(p) else -1


def _in_class(body: str, ch: str) -> bool:
    negate = body[:1] in ("!", "^")
    if negate:
        body = body[1:]
    found = False
    k = 0
    while k < len(body):
        c = body[k]
        if c == "\\" and k + 1 < len(body):
            k += 1
            c = body[k]
        if k + 2 < len(body) and body[k + 1] == "-":
            hi = body[k + 2]
            if hi == "\\" and k + 3 < len(body):
                hi = body[k + 3]
                k += 1
            if c <= ch <= hi:
                found = True
            k += 3
            continue
        if c == ch:
            found = True
        k += 1
    return found != negate


def _one(p: str, i: int, ch: str) -> tuple[bool, int]:
    """Whether the single-character item at p[i] matches `ch`, and the index past it."""
    c = p[i]
    if c == "?":
        return True, i + 1
    if c == "[":
        end = _class_end(p, i)
        if end > 0:
            return _in_class(p[i + 1:end - 1], ch), end
        return ch == "[", i + 1
    if c == "\\" and i + 1 < len(p):
        return ch == p[i + 1], i + 2
    return ch == c, i + 1


def wildcard(p: str, s: str) -> bool:
    """Whether one path segment `s` matches the glob `p` (`*`, `?`, `[...]`, `\\x`).

    The classic two-pointer walk: on a mismatch, only the last `*` is retried, one
    character further, so the work is at most len(p) * len(s)."""
    i = j = 0
    star_i, star_j = -1, 0
    while j < len(s):
        if i < len(p) and p[i] == "*":
            while i < len(p) and p[i] == "*":
                i += 1
            star_i, star_j = i, j
            continue
        if i < len(p):
            ok, nxt = _one(p, i, s[j])
            if ok:
                i, j = nxt, j + 1
                continue
        if star_i < 0:
            return False
        star_j += 1
        i, j = star_i, star_j
    while i < len(p) and p[i] == "*":
        i += 1
    return i == len(p)


@dataclass(frozen=True, slots=True)
class _Pattern:
    segments: tuple[str, ...]
    negated: bool
    dir_only: bool

    def matches(self, parts: list[str], is_dir: bool) -> bool:
        """Whether the path (or one of its folders) matches."""
        # the path itself, then each folder above it (a matched folder covers its contents)
        for end in range(len(parts), 0, -1):
            last_is_dir = is_dir if end == len(parts) else True
            if self.dir_only and not last_is_dir:
                continue
            if _segments_match(self.segments, parts[:end]):
                return True
        return False


def _segments_match(pat: tuple[str, ...], parts: list[str]) -> bool:
    """Pattern segments against path segments; `**` spans zero or more of them.

    A dynamic programme over (pattern, path) positions: reach[j] says whether the path's
    first j segments are matched by the pattern's segments so far."""
    reach = [True] + [False] * len(parts)
    for seg in pat:
        if seg == _STAR_STAR:
            seen = False
            for j in range(len(parts) + 1):
                seen = seen or reach[j]
                reach[j] = seen
            continue
        nxt = [False] * (len(parts) + 1)
        for j in range(len(parts)):
            if reach[j] and wildcard(seg, parts[j]):
                nxt[j + 1] = True
        reach = nxt
        if not any(reach):
            return False
    return reach[len(parts)]


def _pattern(line: str) -> _Pattern | None:
    if line.endswith("\n"):
        line = line[:-1]
    if line.endswith("\r"):
        line = line[:-1]
    while line.endswith(" ") and not line.endswith("\\ "):
        line = line[:-1]
    if not line or line.startswith("#"):
        return None
    negated = line.startswith("!")
    if negated:
        line = line[1:]
    elif line.startswith("\\"):
        line = line[1:] if line[1:2] in ("!", "#") else line
    dir_only = line.endswith("/")
    line = line.rstrip("/")
    if not line:
        return None
    anchored = "/" in line
    segments = [s for s in line.split("/") if s]
    collapsed: list[str] = []
    for s in segments:  # `**/**/` means `**/`
        if not (s == _STAR_STAR and collapsed and collapsed[-1] == _STAR_STAR):
            collapsed.append(s)
    if not anchored and collapsed[0] != _STAR_STAR:
        collapsed.insert(0, _STAR_STAR)
    return _Pattern(tuple(collapsed), negated, dir_only)


class IgnoreFile:
    """The patterns of one `.gitignore` file, in order."""

    def __init__(self, patterns: list[_Pattern]) -> None:
        self.patterns = patterns

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> IgnoreFile:
        return cls([p for p in map(_pattern, lines) if p is not None])

    def match(self, rel: str, is_dir: bool) -> bool | None:
        """For a path relative to the file's folder: True if ignored, False if re-included,
        None if no pattern speaks of it."""
        parts = [p for p in rel.split("/") if p]
        for pattern in reversed(self.patterns):
            if pattern.matches(parts, is_dir):
                return not pattern.negated
        return None
