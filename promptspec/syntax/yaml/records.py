"""The model records the YAML front end makes most (spans, literals, fields, lists),
made at a fraction of their constructors' cost.

A spec file makes hundreds of these, and a frozen record's `__init__` sets each field
through `object.__setattr__` (plain assignment is refused), which costs several times
what the assignment does. Here a record is filled in as a draft: an object of a plain
class with the very same slots, whose assignments are ordinary ones, then made the
record by setting its class, which CPython allows between classes of one layout. What
comes out is the record itself, of its class, frozen as any other: equal, hashed, shown
and pickled alike. Should a model class gain, lose or reorder a field, importing this
module fails at once rather than leaving a field unset.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from promptspec.model import (
    Field,
    FileRef,
    ListValue,
    Literal,
    Preset,
    Prompt,
    RangeValue,
    Ref,
    Scalar,
    Span,
    Sweep,
    Value,
)

__all__ = ["new_field", "new_list", "new_literal", "new_literal_field", "new_preset",
           "new_prompt", "new_range", "new_ref", "new_span", "new_spanned_literal", "new_sweep"]

def _draft(cls: type, names: tuple[str, ...]) -> type:
    """A plain class with `cls`'s slots, whose fields must be `names`, in this order."""
    have = tuple(f.name for f in fields(cls))
    if have != names or getattr(cls, "__slots__", None) != names:
        raise RuntimeError(f"{cls.__name__} fields are {have}, records.py makes {names}")
    scope: dict[str, Any] = {}
    body = "".join(f"\n    self.{n} = {n}" for n in names)
    exec(f"def __init__(self, {', '.join(names)}):{body}", scope)
    return type(f"{cls.__name__}Draft", (),
                {"__slots__": names, "__module__": __name__, "__init__": scope["__init__"]})


_SpanDraft = _draft(Span, ("path", "line", "column", "end_line", "end_column"))
_LiteralDraft = _draft(Literal, ("value", "span", "text", "content_line", "multiline"))
_FieldDraft = _draft(Field, ("name", "name_span", "value", "span"))
_ListDraft = _draft(ListValue, ("items", "span"))
_RangeDraft = _draft(RangeValue, ("start", "end", "step", "count", "span"))
_RefDraft = _draft(Ref, ("name", "span"))
_SweepDraft = _draft(Sweep, ("axes", "span"))
_PresetDraft = _draft(Preset, ("name", "name_span", "extends", "fields", "vars", "span"))
_PromptDraft = _draft(
    Prompt, ("name", "name_span", "extends", "fields", "vars", "sweep", "zip", "span"))


def new_span(path: str, line: int, column: int, end_line: int, end_column: int) -> Span:
    """`Span(path, line, column, end_line, end_column)`."""
    made: Any = _SpanDraft(path, line, column, end_line, end_column)
    made.__class__ = Span
    return made  # type: ignore[no-any-return]


def new_literal(value: Scalar, where: Span, text: str | None = None, content_line: int = 0,
                multiline: bool = False) -> Literal:
    """`Literal(value, where, text, content_line, multiline)`."""
    made: Any = _LiteralDraft(value, where, text, content_line, multiline)
    made.__class__ = Literal
    return made  # type: ignore[no-any-return]


def new_spanned_literal(value: Scalar, path: str, line: int, column: int, end_line: int,
                        end_column: int, text: str | None, content_line: int,
                        multiline: bool) -> Literal:
    """`Literal(value, Span(path, line, column, end_line, end_column), text, content_line,
    multiline)`, in one call: the front end makes one for nearly every scalar."""
    where: Any = _SpanDraft(path, line, column, end_line, end_column)
    where.__class__ = Span
    made: Any = _LiteralDraft(value, where, text, content_line, multiline)
    made.__class__ = Literal
    return made  # type: ignore[no-any-return]


def new_literal_field(name: str, path: str, line: int, column: int, name_end_line: int,
                      name_end_column: int, value: Scalar, value_line: int, value_column: int,
                      end_line: int, end_column: int, text: str | None, content_line: int,
                      multiline: bool) -> Field:
    """`Field(name, Span(path, line, column, name_end_line, name_end_column), Literal(value,
    Span(path, value_line, value_column, end_line, end_column), text, content_line,
    multiline), Span(path, line, column, end_line, end_column))`, in one call: the front
    end makes one for nearly every field."""
    name_span: Any = _SpanDraft(path, line, column, name_end_line, name_end_column)
    name_span.__class__ = Span
    where: Any = _SpanDraft(path, value_line, value_column, end_line, end_column)
    where.__class__ = Span
    literal: Any = _LiteralDraft(value, where, text, content_line, multiline)
    literal.__class__ = Literal
    where = _SpanDraft(path, line, column, end_line, end_column)
    where.__class__ = Span
    made: Any = _FieldDraft(name, name_span, literal, where)
    made.__class__ = Field
    return made  # type: ignore[no-any-return]


def new_field(name: str, name_span: Span, value: Value, where: Span) -> Field:
    """`Field(name, name_span, value, where)`."""
    made: Any = _FieldDraft(name, name_span, value, where)
    made.__class__ = Field
    return made  # type: ignore[no-any-return]


def new_list(items: tuple[Literal | FileRef | ListValue, ...], where: Span) -> ListValue:
    """`ListValue(items, where)`."""
    made: Any = _ListDraft(items, where)
    made.__class__ = ListValue
    return made  # type: ignore[no-any-return]


def new_range(start: Literal, end: Literal, step: Literal | None, count: Literal | None,
              where: Span) -> RangeValue:
    """`RangeValue(start, end, step, count, where)`."""
    made: Any = _RangeDraft(start, end, step, count, where)
    made.__class__ = RangeValue
    return made  # type: ignore[no-any-return]


def new_ref(name: str, where: Span) -> Ref:
    """`Ref(name, where)`."""
    made: Any = _RefDraft(name, where)
    made.__class__ = Ref
    return made  # type: ignore[no-any-return]


def new_sweep(axes: tuple[Field, ...], where: Span) -> Sweep:
    """`Sweep(axes, where)`."""
    made: Any = _SweepDraft(axes, where)
    made.__class__ = Sweep
    return made  # type: ignore[no-any-return]


def new_preset(name: str, name_span: Span, extends: tuple[Ref, ...], fields: tuple[Field, ...],
               vars_: tuple[Field, ...], where: Span) -> Preset:
    """`Preset(name, name_span, extends, fields, vars_, where)`."""
    made: Any = _PresetDraft(name, name_span, extends, fields, vars_, where)
    made.__class__ = Preset
    return made  # type: ignore[no-any-return]


def new_prompt(name: str, name_span: Span, extends: tuple[Ref, ...], fields: tuple[Field, ...],
               vars_: tuple[Field, ...], sweep: Sweep | None, zip_: Sweep | None,
               where: Span) -> Prompt:
    """`Prompt(name, name_span, extends, fields, vars_, sweep, zip_, where)`."""
    made: Any = _PromptDraft(name, name_span, extends, fields, vars_, sweep, zip_, where)
    made.__class__ = Prompt
    return made  # type: ignore[no-any-return]
