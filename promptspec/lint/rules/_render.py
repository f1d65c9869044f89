"""Template helpers for the rules: names by line, text outside jinja tags, bounded renders.

Renders are keyed by the values a template reads and shared by the prompts of a file;
`_points` chooses the points they are made at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from promptspec.lint.rules._value_sets import PromptView
from promptspec.templates import (
    TemplateBoundError,
    parse_template,
    render_template,
    template_info,
)
from promptspec.templates.bounds import MAX_OUTPUT
from promptspec.templates.plain import SANDBOX_GLOBALS, SHOWN_AS_STR, plain_pieces, render_plain

__all__ = [
    "Failed",
    "bracket_problem",
    "jinja_names",
    "name_lines",
    "names_read",
    "never_blank",
    "outside_tags",
    "plain_within_bounds",
    "render",
    "render_or_failure",
    "weight_line",
]

_MISSING = object()
_BIG = 10**40  # ints shown in at most 41 characters (not folded by the compiler)


class Failed:
    """A render that failed, and why (jinja's message, or the sandbox bound it reached)."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message

_CLOSERS = {"{{": "}}", "{%": "%}", "{#": "#}"}
_WEIGHT = re.compile(r"\([^()\[\]]*:\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)\s*\)")
_BLANK = re.compile(r"[^\n]")
_BRACKET = re.compile(r"[()\[\]]")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@lru_cache(maxsize=1)
def jinja_names() -> frozenset[str]:
    """Names a template may read without defining them: jinja's globals and loop names."""
    return frozenset({*SANDBOX_GLOBALS, "loop", "self", "varargs", "kwargs", "caller"})


@lru_cache(maxsize=4096)
def name_lines(source: str) -> dict[str, int]:
    """The first line (1-based, of the template) where each read name appears."""
    pieces = plain_pieces(source)
    if pieces is not None:
        first: dict[str, int] = {}
        for is_name, name, line in pieces:
            if is_name:
                first.setdefault(name, line)
        return first
    ast = parse_template(source)
    if ast is None:
        return {}
    from jinja2 import nodes

    out: dict[str, int] = {}
    for node in ast.find_all(nodes.Name):
        if node.ctx == "load":
            out.setdefault(node.name, node.lineno)
    return out


@lru_cache(maxsize=4096)
def names_read(source: str) -> frozenset[str]:
    """Names a template reads; for one that does not compile, every identifier in its tags."""
    info = template_info(source)
    if info.error is None:
        return info.names
    found: set[str] = set()
    for start, end in tags(source):
        found.update(_IDENT.findall(source, start, end))
    return frozenset(found)


def tags(source: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each `{{ }}`, `{% %}`, `{# #}` tag, leftmost first, each ending at
    its first closer (as a lazy regular expression would), found in linear time: an opener
    whose closer never comes again is passed over at once."""
    last = {closer: source.rfind(closer) for closer in _CLOSERS.values()}
    i = source.find("{")
    while i >= 0:
        closer = _CLOSERS.get(source[i:i + 2])
        if closer is not None and last[closer] >= i + 2:
            end = source.find(closer, i + 2) + 2
            yield i, end
            i = source.find("{", end)
        else:
            i = source.find("{", i + 1)


def outside_tags(source: str) -> str:
    """The text with jinja's own `{{ }}`, `{% %}`, `{# #}` blanked (line breaks kept)."""
    out: list[str] = []
    done = 0
    for start, end in tags(source):
        out.append(source[done:start])
        out.append(_BLANK.sub(" ", source[start:end]))
        done = end
    out.append(source[done:])
    return "".join(out)


@lru_cache(maxsize=4096)
def bracket_problem(source: str) -> tuple[int, str] | None:
    """(template line, message) of the first bracket that does not pair up, else None."""
    text = outside_tags(source)
    pairs = {")": "(", "]": "["}
    stack: list[tuple[str, int]] = []
    line, counted = 1, 0
    for m in _BRACKET.finditer(text):  # only the brackets are visited
        at = m.start()
        line += text.count("\n", counted, at)
        counted = at
        ch = m.group()
        if ch in "([":
            stack.append((ch, line))
        elif not stack or stack[-1][0] != pairs[ch]:
            return line, f"{ch!r} has no matching {pairs[ch]!r}"
        else:
            stack.pop()
    if stack:
        ch, at_line = stack[0]
        return at_line, f"{ch!r} is never closed"
    return None


@lru_cache(maxsize=4096)
def weight_line(source: str) -> tuple[int, str] | None:
    """(template line, the weighted phrase) of the first `(word:1.3)` outside tags."""
    text = outside_tags(source)
    m = _WEIGHT.search(text)
    if m is None:
        return None
    return text.count("\n", 0, m.start()) + 1, m.group(0)


@lru_cache(maxsize=4096)
def _read_order(source: str) -> tuple[str, ...]:
    return tuple(sorted(template_info(source).names))


def _value_key(v: Any) -> Any:
    """A hashable key that tells apart every two values that may render differently."""
    t = type(v)
    if t is float:
        return (t, repr(v))  # -0.0 and 0.0 are equal but render apart
    if t in SHOWN_AS_STR:
        return (t, v)
    raise TypeError(t)


def plain_within_bounds(view: PromptView, source: str) -> bool:
    """Whether `source` is text and bare names that renders within the sandbox's output
    bound at every point, seen without rendering: its text plus, for each name, the longest
    value the name takes (all of a written list; a range's ends) stays within it."""
    pieces = plain_pieces(source)
    if pieces is None:
        return False
    total = 0
    for is_name, piece, _ in pieces:
        total += _longest_shown(view, piece) if is_name else len(piece)
    return total <= MAX_OUTPUT


def _longest_shown(view: PromptView, name: str) -> int:
    longest = 0
    base = view.base_context
    if name in base:
        longest = _shown_length(base[name])
    member = view.members.get(name)
    if member is not None:
        for p in view.axis_points(member.axis):
            if name in p:
                n = _shown_length(p[name])
                if n > longest:
                    longest = n
    return longest


def _shown_length(v: Any) -> int:
    """An upper bound of the length of the value as shown (past the bound: render to know)."""
    t = type(v)
    if t is str:
        return len(v)
    if t is int and -_BIG < v < _BIG:  # a range's samples hold its ends
        return len(str(v))
    if t is float or t is bool or v is None:
        return 32
    return MAX_OUTPUT + 1  # another type: render to know


@lru_cache(maxsize=4096)
def never_blank(source: str) -> bool:
    """Whether no render of `source` can be white space only, seen without rendering: a
    template of literal text and bare `{{ name }}` outputs whose literal text is not blank
    (PS306 then needs no renders, however many values its names take)."""
    pieces = plain_pieces(source)
    return pieces is not None and any(not is_name and piece.strip()
                                      for is_name, piece, _ in pieces)


def _plain_render(source: str, ctx: dict[str, Any]) -> str | Failed | None:
    """A render of a template of text and bare names without jinja (None otherwise)."""
    pieces = plain_pieces(source)
    if pieces is None:
        return None
    try:
        return render_plain(pieces, ctx)
    except TemplateBoundError as err:
        return Failed(str(err))


def render(memo: dict[Any, Any], source: str, ctx: dict[str, Any]) -> str | None:
    """`source` rendered with `ctx` (None when it fails), once per values of the names it reads.
    """
    found = render_or_failure(memo, source, ctx)
    return None if isinstance(found, Failed) else found


def render_or_failure(memo: dict[Any, Any], source: str, ctx: dict[str, Any]) -> str | Failed:
    """`source` rendered with `ctx`, or why it fails, once per values of the names it reads.

    A template's output depends only on the context names it reads, so renders are keyed
    by the template and those values; `memo` is shared by the prompts of one file.
    """
    plain = _plain_render(source, ctx)  # cheaper than the memo's key
    if plain is not None:
        return plain
    try:
        key: Any = (source, *(_value_key(ctx[n]) if n in ctx else _MISSING
                              for n in _read_order(source)))
    except TypeError:
        key = None
    found = memo.get(key, _MISSING) if key is not None else _MISSING
    if found is _MISSING:
        try:
            found = render_template(source, ctx)
        except Exception as err:
            found = Failed(_why(err))
        if key is not None:
            memo[key] = found
    return found if isinstance(found, Failed) else str(found)


def _why(err: Exception) -> str:
    if isinstance(err, TemplateBoundError):
        return str(err)
    import jinja2

    if isinstance(err, jinja2.TemplateError):
        return str(err)
    return f"{type(err).__name__}: {err}"


def _scalar(v: Any) -> bool:
    return type(v) in SHOWN_AS_STR
