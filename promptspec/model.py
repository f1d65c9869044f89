"""The one model both front ends build: frozen dataclasses with a `Span` on every node.

Nothing here knows about lark or ruamel; rules, resolution, expansion and execution read
only these types. Lines and columns are 1-based; `end_column` is exclusive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal as Lit

__all__ = [
    "NAME",
    "NAME_PATTERN",
    "Axis",
    "Field",
    "FileRef",
    "Import",
    "ListValue",
    "Literal",
    "Preset",
    "Prompt",
    "RandomValue",
    "RangeValue",
    "Ref",
    "Scalar",
    "Span",
    "SpecFile",
    "Sweep",
    "Value",
]

NAME_PATTERN = r"[A-Za-z_][A-Za-z0-9_-]*"
"""What names of prompts, presets and vars match (the grammar's NAME token says the same)."""
NAME = re.compile(NAME_PATTERN)

Scalar = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Span:
    """A place in a source file: 1-based line and column, exclusive end column."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Literal:
    """A scalar written in the source: string, int, float, bool or null.

    `text` is the number as written (so ranges can round to the decimals written).
    For strings, `content_line` is the source line holding the string's first content
    line, and `multiline` says whether the string's own line breaks are line breaks of
    the source (a DSL `\"\"\"` block or a YAML block scalar): template errors map to
    `content_line + lineno - 1` then, else to `span.line`.
    """

    value: Scalar
    span: Span
    text: str | None = None
    content_line: int = 0
    multiline: bool = False

    def source_line(self, template_lineno: int) -> int:
        """The source line of line `template_lineno` (1-based) of this string."""
        if self.multiline and self.content_line:
            return self.content_line + max(template_lineno, 1) - 1
        return self.span.line


@dataclass(frozen=True, slots=True)
class FileRef:
    """`file("refs/pose.png")` / `{file: refs/pose.png}`: a local file, relative to the spec."""

    path: str
    span: Span


@dataclass(frozen=True, slots=True)
class ListValue:
    """`[a, b, c]`: the items in order. Items are literals or file references, or (one
    level deep) lists of them: the points of a sweep axis over an array parameter."""

    items: tuple[Literal | FileRef | ListValue, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class RangeValue:
    """`start..end`, `start..end step s` or `start..end count n` (sweep axes only).

    Bounds are kept as written; a non-numeric bound is PS407, judged by the rules.
    """

    start: Literal
    end: Literal
    step: Literal | None
    count: Literal | None
    span: Span


@dataclass(frozen=True, slots=True)
class RandomValue:
    """`random(n)` / `random(n, seed)`: n distinct ints in the parameter's range."""

    n: Literal
    seed: Literal | None
    span: Span


Value = Literal | FileRef | ListValue | RangeValue | RandomValue


@dataclass(frozen=True, slots=True)
class Field:
    """`name = value` (DSL) / `name: value` (YAML) inside a block."""

    name: str
    name_span: Span
    value: Value
    span: Span


@dataclass(frozen=True, slots=True)
class Ref:
    """A name that refers to something else (a preset in `extends`)."""

    name: str
    span: Span


@dataclass(frozen=True, slots=True)
class Import:
    path: str
    span: Span


Axis = Field


@dataclass(frozen=True, slots=True)
class Sweep:
    """A `sweep` block (axes as a cartesian product) or a `zip` block (one lock-step axis)."""

    axes: tuple[Field, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Preset:
    """A named, partial set of prompt parameters and vars (a shared style)."""

    name: str
    name_span: Span
    extends: tuple[Ref, ...]
    fields: tuple[Field, ...]
    vars: tuple[Field, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Prompt:
    """A named prompt: extends presets, sets parameters and vars, declares sweeps.

    `fields` holds every parameter the body sets, `tune` included (the rules judge
    unknown names). `sweep`/`zip` are None when the prompt has no such block.
    """

    name: str
    name_span: Span
    extends: tuple[Ref, ...]
    fields: tuple[Field, ...]
    vars: tuple[Field, ...]
    sweep: Sweep | None
    zip: Sweep | None
    span: Span


@dataclass(frozen=True, slots=True)
class SpecFile:
    """One spec file, in either syntax."""

    path: str
    syntax: Lit["dsl", "yaml"]
    version: Field | None = None
    imports: tuple[Import, ...] = ()
    tune: Field | None = None
    vars: tuple[Field, ...] = ()
    presets: tuple[Preset, ...] = ()
    prompts: tuple[Prompt, ...] = ()
    family: Field | None = None
    """The file-level `family` (DSL `family "flux"`, YAML `family: flux`)."""
