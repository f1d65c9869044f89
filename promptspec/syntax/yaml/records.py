"""The model records the YAML front end makes most (spans, literals, fields, lists),
made at a fraction of their constructors' cost by `model.maker` (a frozen record's
`__init__` sets each field through `object.__setattr__`, several times the cost of an
assignment). Each maker names the fields it passes, in order: should a model class gain,
lose or reorder a field, importing this module fails at once rather than leaving a field
unset.
"""

from __future__ import annotations

from collections.abc import Callable

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
    maker,
)

__all__ = ["new_field", "new_list", "new_literal", "new_literal_field", "new_preset",
           "new_prompt", "new_range", "new_ref", "new_span", "new_spanned_literal", "new_sweep"]

new_span: Callable[[str, int, int, int, int], Span] = maker(
    Span, ("path", "line", "column", "end_line", "end_column"))
"""`Span(path, line, column, end_line, end_column)`."""
_literal: Callable[[Scalar, Span, str | None, int, bool], Literal] = maker(
    Literal, ("value", "span", "text", "content_line", "multiline"))
new_field: Callable[[str, Span, Value, Span], Field] = maker(
    Field, ("name", "name_span", "value", "span"))
"""`Field(name, name_span, value, where)`."""
new_list: Callable[[tuple[Literal | FileRef | ListValue, ...], Span], ListValue] = maker(
    ListValue, ("items", "span"))
"""`ListValue(items, where)`."""
new_range: Callable[[Literal, Literal, Literal | None, Literal | None, Span], RangeValue] = \
    maker(RangeValue, ("start", "end", "step", "count", "span"))
"""`RangeValue(start, end, step, count, where)`."""
new_ref: Callable[[str, Span], Ref] = maker(Ref, ("name", "span"))
"""`Ref(name, where)`."""
new_sweep: Callable[[tuple[Field, ...], Span], Sweep] = maker(Sweep, ("axes", "span"))
"""`Sweep(axes, where)`."""
new_preset: Callable[[str, Span, tuple[Ref, ...], tuple[Field, ...], tuple[Field, ...], Span],
                     Preset] = maker(
    Preset, ("name", "name_span", "extends", "fields", "vars", "span"))
"""`Preset(name, name_span, extends, fields, vars_, where)`."""
new_prompt: Callable[[str, Span, tuple[Ref, ...], tuple[Field, ...], tuple[Field, ...],
                      Sweep | None, Sweep | None, Span], Prompt] = maker(
    Prompt, ("name", "name_span", "extends", "fields", "vars", "sweep", "zip", "span"))
"""`Prompt(name, name_span, extends, fields, vars_, sweep, zip_, where)`."""


def new_literal(value: Scalar, where: Span, text: str | None = None, content_line: int = 0,
                multiline: bool = False) -> Literal:
    """`Literal(value, where, text, content_line, multiline)`."""
    return _literal(value, where, text, content_line, multiline)


def new_spanned_literal(value: Scalar, path: str, line: int, column: int, end_line: int,
                        end_column: int, text: str | None, content_line: int,
                        multiline: bool) -> Literal:
    """`Literal(value, Span(path, line, column, end_line, end_column), text, content_line,
    multiline)`, in one call: the front end makes one for nearly every scalar."""
    return _literal(value, new_span(path, line, column, end_line, end_column), text,
                    content_line, multiline)


def new_literal_field(name: str, path: str, line: int, column: int, name_end_line: int,
                      name_end_column: int, value: Scalar, value_line: int, value_column: int,
                      end_line: int, end_column: int, text: str | None, content_line: int,
                      multiline: bool) -> Field:
    """`Field(name, Span(path, line, column, name_end_line, name_end_column), Literal(value,
    Span(path, value_line, value_column, end_line, end_column), text, content_line,
    multiline), Span(path, line, column, end_line, end_column))`, in one call: the front
    end makes one for nearly every field."""
    return new_field(
        name, new_span(path, line, column, name_end_line, name_end_column),
        _literal(value, new_span(path, value_line, value_column, end_line, end_column), text,
                 content_line, multiline),
        new_span(path, line, column, end_line, end_column))
