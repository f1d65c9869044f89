"""The state one `check` call shares between rule families: findings, dedup, places.

`Context.report` keeps findings for the checked file only, once per (code, span); the
helpers turn a `Setting` or an axis item into a `Place` that messages can name.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, overload

from promptspec.diagnostics import Code, Diagnostic, Edit
from promptspec.load import DISK
from promptspec.model import Literal, Preset, Ref, Span, SpecFile, record
from promptspec.params import Param, table_for
from promptspec.paths import inside, syntax_of
from promptspec.resolve import Resolution, ResolvedPrompt, Setting
from promptspec.syntax import source_lines

__all__ = ["Context", "Place", "at", "cached_property", "place_of_setting", "text_span"]

_T = TypeVar("_T")


class cached_property(Generic[_T]):
    """`functools.cached_property` without its lock (Python 3.11 takes one on every first
    read, a measurable cost for the many small per-prompt values the rules share)."""

    def __init__(self, fn: Callable[[Any], _T]) -> None:
        self.fn = fn
        self.name = fn.__name__
        self.__doc__ = fn.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> cached_property[_T]: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> _T: ...
    def __get__(self, obj: object | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.fn(obj)
        return value


@record
class Place:
    """Where a value comes from: its span and a phrase naming it for messages."""

    span: Span
    where: str
    in_prompt: bool
    origin: str = "prompt"
    """"prompt" (body or sweep), "preset NAME", "the file's tune" or "vars of PATH"."""


def at(span: Span) -> str:
    """A short place for messages: `file.pspec:12:3`."""
    return f"{os.path.basename(span.path)}:{span.line}:{span.column}"


def place_of_setting(s: Setting) -> Place:
    f = s.field
    if s.origin == "prompt":
        return Place(f.span, f"set in the prompt at {at(f.span)}", True)
    return Place(f.span, f"set in {s.origin} at {at(f.span)}", False, s.origin)


@dataclass
class Context:
    res: Resolution
    spec: SpecFile
    max_requests: int
    out: list[Diagnostic] = field(default_factory=list)
    profile: str = "current"
    """The API profile: which parameter table and which rules apply."""
    seen: set[tuple[str, Span]] = field(default_factory=set)
    axis_values: dict[int, Any] = field(default_factory=dict)
    """Lint values of each sweep axis field (by identity), computed once per check."""

    @property
    def path(self) -> str:
        return self.res.path

    @cached_property
    def table(self) -> Mapping[str, Param]:
        """The profile's parameter table."""
        return table_for(self.profile)

    @property
    def current(self) -> bool:
        """Whether the `current` profile's rules (flags, tokens, families) run."""
        return self.profile != "reference"

    def report(self, code: Code, message: str, span: Span, prompt: str | None = None,
               fix: tuple[Edit, ...] | None = None) -> None:
        if span.path != self.res.path or (code, span) in self.seen:
            return
        self.seen.add((code, span))
        self.out.append(Diagnostic(code, message, span, prompt=prompt, fix=fix))

    @cached_property
    def lines(self) -> list[str]:
        """The checked file's source lines, as its parser counts them (for fixes and
        template line columns)."""
        return source_lines(self.res.source, syntax_of(self.res.path))

    def line(self, n: int) -> str:
        return self.lines[n - 1] if 0 < n <= len(self.lines) else ""

    def source_of(self, span: Span) -> str:
        """The source text of a one-line span ("" when it spans lines)."""
        if span.line != span.end_line:
            return ""
        return self.line(span.line)[span.column - 1 : span.end_column - 1]

    @cached_property
    def all_presets(self) -> dict[str, Preset]:
        out = {p.name: p for p in self.res.imported_presets}
        out.update({p.name: p for p in self.spec.presets})
        return out

    def bringing_ref(self, rp: ResolvedPrompt, preset_name: str) -> Ref | None:
        """The prompt's `extends` ref that brings in `preset_name` (directly or through others)."""
        for ref in rp.prompt.extends:
            if preset_name in self._closure(ref.name):
                return ref
        return None

    def _closure(self, name: str) -> set[str]:
        seen: set[str] = set()
        todo = [name]
        while todo:
            n = todo.pop()
            if n in seen:
                continue
            seen.add(n)
            p = self.all_presets.get(n)
            if p is not None:
                todo.extend(r.name for r in p.extends)
        return seen

    def anchor(self, rp: ResolvedPrompt, place: Place) -> Span:
        """`place` when it lies in the prompt, else the extends ref that brings it in."""
        if place.in_prompt:
            return place.span
        if place.origin.startswith("preset "):
            ref = self.bringing_ref(rp, place.origin[len("preset "):])
            if ref is not None:
                return ref.span
        if place.span.path == self.res.path:
            return place.span
        return rp.prompt.name_span

    def is_file_in_root(self, rel: str) -> str | None:
        """Why `file(rel)` is unusable, or None when it names a readable file in the root."""
        path = os.path.normpath(os.path.join(os.path.dirname(self.spec.path), rel))
        real = os.path.realpath(path)
        if not inside(self.res.root, real):
            return f"file {rel!r} is outside the project root ({self.res.root})"
        if not self.res.reader.is_file(real):
            return f"file {rel!r} not found"
        if self.res.reader is DISK and not os.access(real, os.R_OK):
            return f"file {rel!r} is not readable"
        return None


def text_span(ctx: Context, lit: Literal, template_line: int) -> Span:
    """The span of line `template_line` of a string literal's template."""
    line = lit.source_line(template_line)
    if line == lit.span.line:
        return lit.span
    src = ctx.line(line)
    col = len(src) - len(src.lstrip()) + 1
    return Span(lit.span.path, line, col, line, max(len(src) + 1, col + 1))
