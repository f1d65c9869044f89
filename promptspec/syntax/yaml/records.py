"""The model records the YAML front end makes most (spans, literals, fields, lists), made
without a call to their `__init__`.

A spec file makes hundreds of these; a record's generated `__init__` costs a Python call
plus `object.__setattr__` by name for each field (frozen records refuse plain assignment).
Here each field is set through its slot's own setter, which is what that call comes to,
at about half the cost. The records are the same objects: equal, hashed, shown and
pickled alike. Should a model class gain, lose or reorder a field, importing this module
fails at once rather than leaving a field unset.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from promptspec.model import Field, FileRef, ListValue, Literal, Scalar, Span, Value

__all__ = ["new_field", "new_list", "new_literal", "new_span"]

_new = object.__new__


def _setters(cls: type, names: tuple[str, ...]) -> tuple[Any, ...]:
    """The slot setters of `cls`'s fields, which must be `names`, in this order."""
    have = tuple(f.name for f in fields(cls))
    if have != names:
        raise RuntimeError(f"{cls.__name__} fields are {have}, records.py makes {names}")
    return tuple(vars(cls)[name].__set__ for name in names)


_S_PATH, _S_LINE, _S_COLUMN, _S_END_LINE, _S_END_COLUMN = _setters(
    Span, ("path", "line", "column", "end_line", "end_column"))
_L_VALUE, _L_SPAN, _L_TEXT, _L_CONTENT_LINE, _L_MULTILINE = _setters(
    Literal, ("value", "span", "text", "content_line", "multiline"))
_F_NAME, _F_NAME_SPAN, _F_VALUE, _F_SPAN = _setters(Field, ("name", "name_span", "value", "span"))
_V_ITEMS, _V_SPAN = _setters(ListValue, ("items", "span"))


def new_span(path: str, line: int, column: int, end_line: int, end_column: int) -> Span:
    """`Span(path, line, column, end_line, end_column)`."""
    made: Span = _new(Span)
    _S_PATH(made, path)
    _S_LINE(made, line)
    _S_COLUMN(made, column)
    _S_END_LINE(made, end_line)
    _S_END_COLUMN(made, end_column)
    return made


def new_literal(value: Scalar, where: Span, text: str | None = None, content_line: int = 0,
            multiline: bool = False) -> Literal:
    """`Literal(value, where, text, content_line, multiline)`."""
    made: Literal = _new(Literal)
    _L_VALUE(made, value)
    _L_SPAN(made, where)
    _L_TEXT(made, text)
    _L_CONTENT_LINE(made, content_line)
    _L_MULTILINE(made, multiline)
    return made


def new_field(name: str, name_span: Span, value: Value, where: Span) -> Field:
    """`Field(name, name_span, value, where)`."""
    made: Field = _new(Field)
    _F_NAME(made, name)
    _F_NAME_SPAN(made, name_span)
    _F_VALUE(made, value)
    _F_SPAN(made, where)
    return made


def new_list(items: tuple[Literal | FileRef | ListValue, ...], where: Span) -> ListValue:
    """`ListValue(items, where)`."""
    made: ListValue = _new(ListValue)
    _V_ITEMS(made, items)
    _V_SPAN(made, where)
    return made
