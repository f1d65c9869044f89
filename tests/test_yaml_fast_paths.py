"""The YAML front end's fast paths give what the plain ones give: records made as drafts
are the model's own, the collector is left as found, lines split alike, ints read alike,
spec files read whole (or cut just past the size limit) straight from the descriptor."""

from __future__ import annotations

import dataclasses
import gc
import os
import pickle
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from promptspec.load import MAX_SPEC_BYTES, _read_to_limit, read_bytes
from promptspec.model import Field, ListValue, Literal, Span, maker
from promptspec.syntax import YAML_BREAK
from promptspec.syntax.yaml import records
from promptspec.syntax.yaml.document import parse_yaml
from promptspec.syntax.yaml.events import split_lines
from promptspec.syntax.yaml.nodes import range_parts

P = "t.pspec.yaml"
SPEC = """version: 1
vars:
  subject: ohwx man
prompts:
  p:
    text: "a painting of {{ subject }}"
    steps: 30
    empty:
    sweep:
      seed: 1..4
      cfg_scale: [5, 7.5, [1, 2]]
"""


def _records(value: Any) -> list[Any]:
    """Every record inside `value`, depth first."""
    found: list[Any] = []
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        found.append(value)
        for f in dataclasses.fields(value):
            found += _records(getattr(value, f.name))
    elif isinstance(value, tuple):
        for item in value:
            found += _records(item)
    return found


def test_drafted_records_are_the_models_own() -> None:
    spec = parse_yaml(SPEC, P).spec
    made = _records(spec)
    kinds = {type(r) for r in made}
    assert {Span, Literal, Field, ListValue} <= kinds
    for record in made:
        again = type(record)(*(getattr(record, f.name) for f in dataclasses.fields(record)))
        assert record == again and hash(record) == hash(again) and repr(record) == repr(again)
        assert pickle.loads(pickle.dumps(record)) == record
        assert not hasattr(record, "__dict__")
        name = dataclasses.fields(record)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(record, name, None)


def test_each_maker_matches_its_constructor() -> None:
    where = records.new_span(P, 1, 2, 3, 4)
    assert type(where) is Span and where == Span(P, 1, 2, 3, 4)
    assert records.new_literal(7, where, "7") == Literal(7, where, "7")
    assert records.new_spanned_literal("x", P, 1, 2, 3, 4, None, 1, True) == Literal(
        "x", where, None, 1, True)
    lit = Literal(1, where)
    assert records.new_field("a", where, lit, where) == Field("a", where, lit, where)
    assert records.new_list((lit,), where) == ListValue((lit,), where)
    field = records.new_literal_field("a", P, 1, 2, 3, 4, "x", 5, 6, 7, 8, None, 5, False)
    assert field == Field("a", where, Literal("x", Span(P, 5, 6, 7, 8), None, 5, False),
                          Span(P, 1, 2, 7, 8))


def test_an_axis_form_met_again_is_placed_where_it_is_now() -> None:
    """A range or `random` form is read once per string; each part is still placed at its
    own text, wherever the string is met again."""
    text = ("prompts:\n  a:\n    text: x\n    sweep:\n      seed: 1..40 step 2\n"
            "      n: random(3, 9)\n  b:\n    text: x\n    sweep:\n"
            "      steps:   '1..40 step 2'\n      k: random(3, 9)\n      z: 1..40 step 2\n")
    lines = text.split("\n")
    parts = []
    for prompt in parse_yaml(text, P).spec.prompts:  # type: ignore[union-attr]
        assert prompt.sweep is not None
        for axis in prompt.sweep.axes:
            value = axis.value
            found = [getattr(value, n) for n in ("start", "end", "step", "n", "seed")
                     if getattr(value, n, None) is not None]
            assert len(found) in (2, 3)
            parts += found
    assert len(parts) == 13  # three ranges of three parts, two `random` forms of two
    for lit in parts:
        line = lines[lit.span.line - 1]
        assert line[lit.span.column - 1 : lit.span.end_column - 1] == str(lit.text or lit.value)


def test_a_model_class_with_other_fields_is_refused_at_once() -> None:
    with pytest.raises(RuntimeError, match="Span fields are"):
        maker(Span, ("path", "line", "column"))


@pytest.mark.parametrize("text", [SPEC, "a: [\n", "a: &x [*x]\n", ""])
@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_left_as_found(text: str, enabled: bool) -> None:
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        parse_yaml(text, P)
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


@given(st.text(alphabet=st.sampled_from(["a", " ", "\n", "\r", "\x85", "\u2028",
                                          "\u2029", "\t", "é"])))
def test_lines_split_as_yaml_splits_them(text: str) -> None:
    assert split_lines(text) == YAML_BREAK.split(text)


@pytest.mark.parametrize(("written", "value"), [
    ("30", 30), ("007", 7), ("1_000", 1000), ("0x1F", 31), ("0o17", 15), ("-4", -4),
    ("!!int \u0661\u0662", 12), ("!!int " + "9" * 4301, "9" * 4301), ("!!int abc", "abc"),
])
def test_ints_read_as_before(written: str, value: Any) -> None:
    spec = parse_yaml(f"prompts:\n  p:\n    seed: {written}\n", P).spec
    assert spec is not None
    assert spec.prompts[0].fields[0].value.value == value


def test_a_spec_is_read_whole_and_a_huge_one_cut_past_the_limit(tmp_path: Path) -> None:
    small, big = tmp_path / "a.pspec.yaml", tmp_path / "b.pspec.yaml"
    small.write_bytes(b"tune: 1\n" * 30_000)
    big.write_bytes(b"#" * (MAX_SPEC_BYTES + 10))
    assert read_bytes(str(small)) == small.read_bytes()
    assert len(read_bytes(str(big))) == MAX_SPEC_BYTES + 1
    fd = os.open(small, os.O_RDONLY)
    try:  # a size that is wrong (grown since, or a file that reports none) is read past
        assert _read_to_limit(fd, 0) == small.read_bytes()
    finally:
        os.close(fd)


def _range_parts_by_expression(text: str) -> list[tuple[str, int] | None] | None:
    """range_parts as it read the words after `..`: by a regular expression."""
    dots = text.find("..")
    if dots < 0:
        return None
    left = text[:dots].strip()
    lead = len(text) - len(text.lstrip())
    if not left or left[0] == "." or any(c.isspace() for c in left):
        return None
    words = [(m.group(), m.start()) for m in re.compile(r"\S+").finditer(text, dots + 2)]
    if len(words) == 1:
        return [(left, lead), words[0], None, None]
    if len(words) == 3 and words[1][0] in ("step", "count"):
        return [(left, lead), *words]
    return None


@given(st.lists(st.sampled_from(["1", "0", ".", "..", " ", "\t", "\u00a0", "\u2003", "x",
                                 "step", "count", "-", "é"]), max_size=12).map("".join))
def test_range_parts_read_words_as_the_expression_did(text: str) -> None:
    assert range_parts(text) == _range_parts_by_expression(text)
