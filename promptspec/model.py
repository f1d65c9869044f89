"""The one model both front ends build: frozen dataclasses with a `Span` on every node.

Nothing here knows about lark or ruamel; rules, resolution, expansion and execution read
only these types. Lines and columns are 1-based; `end_column` is exclusive.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform
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
    "maker",
    "record",
]

_T = TypeVar("_T")


@dataclass_transform(frozen_default=True)
def record(cls: type[_T]) -> type[_T]:
    """`@dataclass(frozen=True, slots=True)` at a fraction of its cost at import.

    A dataclass compiles six methods from source when its module is imported (about 0.4 ms
    a class, tens of milliseconds for the classes `lint` needs); here only `__init__` is
    compiled, and equality, hashing, `repr` and the frozen guard are shared functions.
    `dataclasses.fields` and `dataclasses.replace` work as on a dataclass; instances
    compare and hash by their fields, refuse assignment and pickle by their fields.
    """
    if not cls.__doc__:
        cls.__doc__ = cls.__name__  # else dataclass works one out with inspect.signature
    made: Any = dataclasses.dataclass(slots=True, init=False, repr=False, eq=False)(cls)
    fields = dataclasses.fields(made)
    names = tuple(f.name for f in fields)
    scope: dict[str, Any] = {"_set": object.__setattr__}
    params = []
    for f in fields:
        if f.default is not dataclasses.MISSING:
            scope[f"_d_{f.name}"] = f.default
            params.append(f"{f.name}=_d_{f.name}")
        else:
            assert f.default_factory is dataclasses.MISSING, "record: no default_factory"
            params.append(f.name)
    body = "".join(f"\n    _set(self, {n!r}, {n})" for n in names) or "\n    pass"
    exec(f"def __init__(self, {', '.join(params)}):{body}", scope)
    made.__init__ = scope["__init__"]
    made.__init__.__qualname__ = f"{made.__qualname__}.__init__"
    key: Callable[[Any], Any] = attrgetter(*names) if len(names) > 1 else (
        (lambda o: (getattr(o, names[0]),)) if names else (lambda o: ()))
    made.__eq__ = lambda self, other: (key(self) == key(other)
                                       if other.__class__ is self.__class__ else NotImplemented)
    made.__hash__ = lambda self: hash(key(self))
    made.__repr__ = lambda self: (f"{self.__class__.__qualname__}("
                                  + ", ".join(f"{n}={getattr(self, n)!r}" for n in names) + ")")
    made.__setattr__ = _refuse
    made.__delattr__ = _refuse
    made.__reduce__ = lambda self: (self.__class__, tuple(getattr(self, n) for n in names))
    return made  # type: ignore[no-any-return]


def maker(cls: type[_T], names: tuple[str, ...] | None = None) -> Callable[..., _T]:
    """A constructor of `record` class `cls` taking every field, in order, by position, at
    a fraction of the class's own cost (which sets each field through `object.__setattr__`):
    the record is filled in as an object of a plain class with the very same slots, then
    given its class, which CPython allows between classes of one layout. What it gives is
    a record of `cls` like any other. `names`: the fields the caller passes, in its order;
    should the class gain, lose or reorder one, this fails at once (at import) rather than
    leave a field unset or swapped."""
    have = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    if (names is not None and have != names) or getattr(cls, "__slots__", None) != have:
        raise RuntimeError(f"{cls.__name__} fields are {have}, the maker's are {names}")
    draft = type(f"{cls.__name__}Draft", (), {"__slots__": have, "__module__": cls.__module__})
    scope: dict[str, Any] = {"_Draft": draft, "_cls": cls}
    body = "".join(f"\n    made.{n} = {n}" for n in have)
    exec(f"def new({', '.join(have)}):\n    made = _Draft(){body}\n"
         "    made.__class__ = _cls\n    return made", scope)
    new: Callable[..., _T] = scope["new"]
    return new


def _refuse(self: object, name: str, *value: object) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

NAME_PATTERN = r"[A-Za-z_][A-Za-z0-9_-]*"
"""What names of prompts, presets and vars match (the grammar's NAME token says the same)."""
NAME = re.compile(NAME_PATTERN)

Scalar = str | int | float | bool | None


@record
class Span:
    """A place in a source file: 1-based line and column, exclusive end column."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@record
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


@record
class FileRef:
    """`file("refs/pose.png")` / `{file: refs/pose.png}`: a local file, relative to the spec."""

    path: str
    span: Span


@record
class ListValue:
    """`[a, b, c]`: the items in order. Items are literals or file references, or (one
    level deep) lists of them: the points of a sweep axis over an array parameter."""

    items: tuple[Literal | FileRef | ListValue, ...]
    span: Span


@record
class RangeValue:
    """`start..end`, `start..end step s` or `start..end count n` (sweep axes only).

    Bounds are kept as written; a non-numeric bound is PS407, judged by the rules.
    """

    start: Literal
    end: Literal
    step: Literal | None
    count: Literal | None
    span: Span


@record
class RandomValue:
    """`random(n)` / `random(n, seed)`: n distinct ints in the parameter's range."""

    n: Literal
    seed: Literal | None
    span: Span


Value = Literal | FileRef | ListValue | RangeValue | RandomValue


@record
class Field:
    """`name = value` (DSL) / `name: value` (YAML) inside a block."""

    name: str
    name_span: Span
    value: Value
    span: Span


@record
class Ref:
    """A name that refers to something else (a preset in `extends`)."""

    name: str
    span: Span


@record
class Import:
    path: str
    span: Span


Axis = Field


@record
class Sweep:
    """A `sweep` block (axes as a cartesian product) or a `zip` block (one lock-step axis)."""

    axes: tuple[Field, ...]
    span: Span


@record
class Preset:
    """A named, partial set of prompt parameters and vars (a shared style)."""

    name: str
    name_span: Span
    extends: tuple[Ref, ...]
    fields: tuple[Field, ...]
    vars: tuple[Field, ...]
    span: Span


@record
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


@record
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
