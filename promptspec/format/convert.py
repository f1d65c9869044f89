"""`convert`: turn a spec of either syntax into the other, formatted canonically, comments kept.

The result is read back with the other front end and compared with the source's model
(names, values with their types, axis order); a spec that would not survive the trip is
refused with one line rather than written wrong. So both files expand to the same request
ids. YAML has no place for a DSL comment after a closing `}`: such a comment moves to its
own line before the next key; nothing is dropped.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Literal as Lit

from promptspec.axes import decimals_of
from promptspec.diagnostics import Code
from promptspec.errors import SpecError
from promptspec.format.comments import place_comments, yaml_comments
from promptspec.format.dsl_text import Comment, split_layout
from promptspec.format.fmt import comments_of, format_text
from promptspec.format.write_dsl import dsl_lines
from promptspec.format.write_yaml import yaml_lines
from promptspec.load import parse_source
from promptspec.model import (
    Field,
    FileRef,
    ListValue,
    Literal,
    RandomValue,
    RangeValue,
    SpecFile,
    Sweep,
    Value,
)
from promptspec.paths import syntax_of
from promptspec.syntax.dsl.builder import parse_dsl, parse_tree
from promptspec.syntax.yaml.document import parse_yaml

__all__ = ["convert_text", "signature"]

Syntax = Lit["yaml", "dsl"]


def _value_sig(v: Value | None) -> object:
    if v is None:
        return None
    if isinstance(v, Literal):
        if isinstance(v.value, int | float) and not isinstance(v.value, bool):
            return ("num", type(v.value).__name__, v.value, decimals_of(v))
        return ("lit", type(v.value).__name__, v.value)
    if isinstance(v, FileRef):
        return ("file", v.path)
    if isinstance(v, ListValue):
        return ("list", tuple(_value_sig(i) for i in v.items))
    if isinstance(v, RangeValue):
        return ("range", *(_value_sig(p) for p in (v.start, v.end, v.step, v.count)))
    assert isinstance(v, RandomValue)
    return ("random", _value_sig(v.n), _value_sig(v.seed))


def _fields_sig(fields: tuple[Field, ...], ordered: bool = False) -> object:
    sigs = [(f.name, _value_sig(f.value)) for f in fields]
    return tuple(sigs if ordered else sorted(sigs, key=repr))


def _sweep_sig(s: Sweep | None) -> object:
    return None if s is None else _fields_sig(s.axes, ordered=True)


def signature(spec: SpecFile) -> object:
    """What a spec means, spans and layout aside: equal signatures expand alike."""
    return (
        tuple(i.path for i in spec.imports),
        None if spec.tune is None else _value_sig(spec.tune.value),
        None if spec.family is None else _value_sig(spec.family.value),
        _fields_sig(spec.vars),
        tuple(
            (p.name, tuple(r.name for r in p.extends), _fields_sig(p.fields), _fields_sig(p.vars))
            for p in spec.presets
        ),
        tuple(
            (
                p.name,
                tuple(r.name for r in p.extends),
                _fields_sig(p.fields),
                _fields_sig(p.vars),
                _sweep_sig(p.sweep),
                _sweep_sig(p.zip),
            )
            for p in spec.prompts
        ),
    )


def _comments(source: str, syntax: str) -> list[Comment]:
    if syntax == "yaml":
        return yaml_comments(source)
    _, tokens = parse_tree(source)
    return comments_of(source, tokens)


_YAML_UNPRINTABLE = re.compile(
    "[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters YAML does not allow in a stream: a comment carrying one keeps U+FFFD instead."""


def convert_text(text: str, path: str, to: Syntax) -> str:
    """The spec `text` (read from `path`) in syntax `to`. Raises SpecError when it cannot."""
    source, _, _ = split_layout(text)
    parsed = parse_source(source, path)
    # a wrong shape (PS007: a merge key, a second document, an unknown key) would be dropped
    bad = [d for d in parsed.diagnostics if d.code in (Code.SYNTAX_ERROR, Code.INVALID_STRUCTURE)]
    if bad or parsed.spec is None:
        raise SpecError(str(bad[0]) if bad else f"{path}: the file does not parse")
    spec = parsed.spec
    comments = _comments(source, syntax_of(path))
    if to == "yaml":  # YAML cannot hold every character a DSL comment can
        comments = [dataclasses.replace(c, text=_YAML_UNPRINTABLE.sub("\ufffd", c.text))
                    for c in comments]
    lines = yaml_lines(spec) if to == "yaml" else dsl_lines(spec)
    out = "\n".join(place_comments(lines, comments)) + "\n"
    label = f"{path} (converted)"
    if to == "dsl":
        formatted, error = format_text(out, label)
        if formatted is None:
            raise SpecError(f"{path}: the converted text does not parse: {error}")
        out = formatted
        back = parse_dsl(out, label)
    else:
        back = parse_yaml(out, label)
    if back.spec is None or signature(back.spec) != signature(spec):
        raise SpecError(
            f"{path}: cannot convert to {to} without changing its meaning "
            "(fix the findings of `promptspec lint` first)"
        )
    return out
