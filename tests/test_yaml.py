"""The YAML front end: model, spans, value forms and diagnostics (PS001, PS002, PS007)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptspec.load import Parsed, parse_source
from promptspec.model import (
    FileRef,
    ListValue,
    Literal,
    Prompt,
    RandomValue,
    RangeValue,
    Span,
    SpecFile,
)
from promptspec.syntax.yaml.document import parse_yaml

CASES = Path(__file__).resolve().parent / "data" / "conformance"
P = "t.pspec.yaml"


def parse(text: str) -> Parsed:
    return parse_yaml(text, P)


def spec_of(text: str) -> SpecFile:
    parsed = parse(text)
    assert parsed.diagnostics == (), [str(d) for d in parsed.diagnostics]
    assert parsed.spec is not None
    return parsed.spec


def found(text: str) -> list[tuple[str, int, int]]:
    return [(d.code, d.span.line, d.span.column) for d in parse(text).diagnostics]


def at(line: int, col: int, end_line: int, end_col: int) -> Span:
    return Span(P, line, col, end_line, end_col)


def prompt(spec: SpecFile, name: str) -> Prompt:
    return next(p for p in spec.prompts if p.name == name)


def axis_value(text: str, axis: str = "seed") -> Any:
    spec = spec_of(f"prompts:\n  p:\n    sweep:\n      {axis}: {text}\n")
    sweep = spec.prompts[0].sweep
    assert sweep is not None
    return sweep.axes[0].value


def field_value(text: str) -> Any:
    spec = spec_of(f"prompts:\n  p:\n    seed: {text}\n")
    return spec.prompts[0].fields[0].value


# -- the conformance examples --------------------------------------------------------------


def contract_example() -> Parsed:
    path = CASES / "contract_example.pspec.yaml"
    return parse_yaml(path.read_text("utf-8"), str(path))


def test_contract_example_names_and_values() -> None:
    parsed = contract_example()
    assert parsed.diagnostics == ()
    spec = parsed.spec
    assert spec is not None and spec.syntax == "yaml"
    assert spec.version is not None
    assert spec.version.value == Literal(1, spec.version.value.span, "1")
    assert spec.tune is not None and isinstance(spec.tune.value, Literal)
    assert spec.tune.value.value == 1234
    assert [(v.name, v.value.value) for v in spec.vars if isinstance(v.value, Literal)] == [
        ("subject", "ohwx man")
    ]
    assert [p.name for p in spec.presets] == ["base", "portrait"]
    assert [p.name for p in spec.prompts] == ["van_gogh", "pairs"]
    base, portrait = spec.presets
    assert [(f.name, getattr(f.value, "value", None)) for f in base.fields] == [
        ("negative_prompt", "old, blemish, wrinkles, mole"),
        ("super_resolution", True),
        ("face_correct", True),
    ]
    assert [r.name for r in portrait.extends] == ["base"]
    van = prompt(spec, "van_gogh")
    assert [r.name for r in van.extends] == ["portrait"]
    assert [f.name for f in van.fields] == ["text", "num_images"]
    assert [(v.name, getattr(v.value, "value", None)) for v in van.vars] == [("artist", "Van Gogh")]
    assert van.sweep is not None and van.zip is None
    assert [a.name for a in van.sweep.axes] == ["seed", "cfg_scale", "artist"]
    seed, cfg, artist = (a.value for a in van.sweep.axes)
    assert isinstance(seed, RangeValue)
    assert (seed.start.value, seed.end.value, seed.step, seed.count) == (1, 4, None, None)
    assert isinstance(cfg, ListValue)
    assert [(i.value, i.text) for i in cfg.items if isinstance(i, Literal)] == [
        (5, "5"), (7.5, "7.5"), (10, "10"),
    ]
    assert isinstance(artist, ListValue)
    assert [getattr(i, "value", None) for i in artist.items] == ["Van Gogh", "Monet"]
    pairs = prompt(spec, "pairs")
    assert pairs.sweep is None and pairs.zip is not None
    assert [f.name for f in pairs.fields] == ["tune", "text"]
    assert [a.name for a in pairs.zip.axes] == ["seed", "steps"]


def test_contract_example_spans() -> None:
    spec = contract_example().spec
    assert spec is not None
    path = str(CASES / "contract_example.pspec.yaml")

    def s(a: int, b: int, c: int, d: int) -> Span:
        return Span(path, a, b, c, d)

    assert spec.tune is not None
    assert spec.tune.name_span == s(3, 1, 3, 5)
    assert spec.tune.value.span == s(3, 7, 3, 11)
    base = spec.presets[0]
    assert base.name_span == s(7, 3, 7, 7)
    assert base.span == s(7, 3, 10, 23)  # ends with the last value, not the next key
    assert base.fields[0].value.span == s(8, 22, 8, 52)  # quotes included
    portrait = spec.presets[1]
    assert portrait.extends[0].span == s(12, 14, 12, 18)
    van = spec.prompts[0]
    assert van.name_span == s(16, 3, 16, 11)
    assert van.vars[0].name_span == s(20, 12, 20, 18)
    assert van.sweep is not None
    assert van.sweep.span == s(21, 5, 24, 32)  # the `sweep` key through its mapping's end
    seed = van.sweep.axes[0]
    assert seed.name_span == s(22, 7, 22, 11)
    assert isinstance(seed.value, RangeValue)
    assert seed.value.span == s(22, 13, 22, 17)
    assert seed.value.start.span == s(22, 13, 22, 14)
    assert seed.value.end.span == s(22, 16, 22, 17)
    cfg = van.sweep.axes[1].value
    assert isinstance(cfg, ListValue)
    assert cfg.span == s(23, 18, 23, 30)
    assert [i.span for i in cfg.items] == [s(23, 19, 23, 20), s(23, 22, 23, 25), s(23, 27, 23, 29)]
    pairs = spec.prompts[1]
    assert pairs.zip is not None and pairs.zip.span == s(28, 5, 30, 26)
    assert pairs.span == s(25, 3, 30, 26)


def test_clean_imports_example() -> None:
    path = CASES / "clean_imports.pspec.yaml"
    parsed = parse_yaml(path.read_text("utf-8"), str(path))
    assert parsed.diagnostics == ()
    spec = parsed.spec
    assert spec is not None
    assert [i.path for i in spec.imports] == ["presets/shared.pspec"]
    assert spec.imports[0].span == Span(str(path), 3, 11, 3, 31)
    sharp = spec.prompts[0]
    assert [r.name for r in sharp.extends] == ["crisp"]
    assert sharp.sweep is not None
    seed, cfg = (a.value for a in sharp.sweep.axes)
    assert isinstance(seed, RandomValue) and seed.n.value == 2 and seed.seed is None
    assert seed.n.span == Span(str(path), 10, 21, 10, 22)  # inside the quoted string
    assert isinstance(cfg, RangeValue)
    assert (cfg.start.value, cfg.end.value) == (6, 9)
    assert cfg.step is not None and (cfg.step.value, cfg.step.text) == (1.5, "1.5")


def test_images_example() -> None:
    path = CASES / "rules_images.pspec.yaml"
    parsed = parse_yaml(path.read_text("utf-8"), str(path))
    assert parsed.diagnostics == ()
    spec = parsed.spec
    assert spec is not None
    masked = prompt(spec, "masked")
    image = next(f for f in masked.fields if f.name == "input_image")
    assert image.value == FileRef("presets/still.png", Span(str(path), 10, 18, 10, 43))
    scaled = prompt(spec, "scaled")
    lora = next(f for f in scaled.fields if f.name == "lora_scale")
    assert isinstance(lora.value, Literal) and (lora.value.value, lora.value.text) == (1.0, "1.0")
    assert isinstance(lora.value.value, float)
    assert [p.name for p in spec.prompts] == ["pose", "masked", "scaled", "weighted", "cn_only"]


def test_parse_source_dispatches_yaml() -> None:
    text = (CASES / "contract_example.pspec.yaml").read_text("utf-8")
    assert parse_source(text, "a.pspec.yml").spec == parse_yaml(text, "a.pspec.yml").spec


# -- values ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "value", "text"),
    [
        ("7", 7, "7"),
        ("-1", -1, "-1"),
        ("0x10", 16, "0x10"),
        ("0o17", 15, "0o17"),
        ("7.5", 7.5, "7.5"),
        ("1e3", 1000.0, "1e3"),
        ("true", True, None),
        ("False", False, None),
        ("null", None, None),
        ("~", None, None),
        ("yes", "yes", None),  # YAML 1.2: not a boolean
        ("no", "no", None),
        ('"7"', "7", None),
        ("'true'", "true", None),
        ("ohwx man", "ohwx man", None),
        ("2024-01-01", "2024-01-01", None),
        ("!!str 3", "3", None),
        ("!!float 3", 3.0, "3"),
    ],
)
def test_scalars_typed_by_resolved_tag(written: str, value: Any, text: str | None) -> None:
    lit = field_value(written)
    assert isinstance(lit, Literal)
    assert lit.value == value and type(lit.value) is type(value)
    assert lit.text == text


def test_special_floats() -> None:
    assert field_value(".inf").value == math.inf
    assert field_value("-.inf").value == -math.inf
    assert math.isnan(field_value(".nan").value)


def test_empty_value_is_null_next_to_its_key() -> None:
    spec = spec_of("prompts:\n  p:\n    seed:\n    text: x\n")
    seed = spec.prompts[0].fields[0]
    assert seed.value == Literal(None, at(3, 9, 3, 10))
    assert seed.span == at(3, 5, 3, 10)


def test_lists_hold_scalars_and_files() -> None:
    value = field_value("[1, two, {file: a.png}, null]")
    assert isinstance(value, ListValue)
    assert [getattr(i, "value", None) for i in value.items] == [1, "two", None, None]
    assert value.items[2] == FileRef("a.png", at(3, 20, 3, 33))
    block = spec_of("prompts:\n  p:\n    seed:\n      - 1\n      - file: b.png\n").prompts[0]
    items = block.fields[0].value
    assert isinstance(items, ListValue)
    assert items.items[1] == FileRef("b.png", at(5, 9, 5, 20))
    assert items.span == at(4, 7, 5, 20)


def test_file_reference_in_block_style() -> None:
    spec = spec_of("prompts:\n  p:\n    input_image:\n      file: refs/pose.png\n    text: x\n")
    image = spec.prompts[0].fields[0]
    assert image.value == FileRef("refs/pose.png", at(4, 7, 4, 26))
    assert image.span == at(3, 5, 4, 26)


def test_plain_range_in_sweep() -> None:
    value = axis_value("1..4")
    assert isinstance(value, RangeValue)
    assert value.start == Literal(1, at(4, 13, 4, 14), "1")
    assert value.end == Literal(4, at(4, 16, 4, 17), "4")
    assert value.span == at(4, 13, 4, 17)


def test_stepped_and_counted_ranges() -> None:
    stepped = axis_value('"5..9 step 0.5"', "cfg_scale")
    assert isinstance(stepped, RangeValue) and stepped.count is None
    assert stepped.step == Literal(0.5, at(4, 29, 4, 32), "0.5")
    assert stepped.start.span == at(4, 19, 4, 20)
    counted = axis_value("'0.2..0.8 count 4'", "denoising_strength")
    assert isinstance(counted, RangeValue) and counted.step is None
    assert (counted.start.value, counted.start.text) == (0.2, "0.2")
    assert (counted.end.value, counted.end.text) == (0.8, "0.8")
    assert counted.count is not None and counted.count.value == 4
    negative = axis_value("-3..-1")
    assert isinstance(negative, RangeValue)
    assert (negative.start.value, negative.end.value) == (-3, -1)


def test_non_numeric_range_bound_stays_a_string() -> None:
    value = axis_value("a..4")
    assert isinstance(value, RangeValue)
    assert value.start == Literal("a", at(4, 13, 4, 14), None, 4)
    assert value.end.value == 4


def test_range_parts_share_the_string_span_when_escaped() -> None:
    value = axis_value('"1..\\x34"')  # the source text is not the value: no inner places
    assert isinstance(value, RangeValue)
    assert value.end.value == 4
    assert value.start.span == value.end.span == value.span == at(4, 13, 4, 22)


def test_random_in_sweep_and_zip() -> None:
    value = axis_value("random(4)")
    assert isinstance(value, RandomValue) and value.seed is None
    assert value.n == Literal(4, at(4, 20, 4, 21), "4")
    spec = spec_of('prompts:\n  p:\n    zip:\n      seed: "random(4, 42)"\n')
    zipped = spec.prompts[0].zip
    assert zipped is not None
    seeded = zipped.axes[0].value
    assert isinstance(seeded, RandomValue) and seeded.seed is not None
    assert (seeded.n.value, seeded.seed.value) == (4, 42)
    assert seeded.seed.span == at(4, 24, 4, 26)


@pytest.mark.parametrize("written", ["1..4", '"5..9 step 0.5"', "random(4)", '"random(4, 42)"'])
def test_range_forms_are_strings_outside_sweeps(written: str) -> None:
    value = field_value(written)
    assert isinstance(value, Literal) and isinstance(value.value, str)
    var = spec_of(f"vars:\n  x: {written}\n").vars[0].value
    assert isinstance(var, Literal) and isinstance(var.value, str)


@pytest.mark.parametrize("written", ['"1..4"', "Van Gogh"])
def test_list_items_in_a_sweep_stay_strings(written: str) -> None:
    value = axis_value(f"[{written}]", "artist")
    assert isinstance(value, ListValue)
    assert isinstance(value.items[0], Literal) and isinstance(value.items[0].value, str)


def test_block_scalars_keep_their_content_line() -> None:
    text = (
        "prompts:\n"
        "  p:\n"
        "    text: |\n"
        "      a portrait\n"
        "      of {{ subject }}\n"
        "\n"
        "    negative_prompt: >-  # folded\n"
        "      old,\n"
        "      blurry\n"
        "    callback: \"https://x\n"
        "      .example\"\n"
    )
    spec = spec_of(text)
    body, negative, callback = (f.value for f in spec.prompts[0].fields)
    assert isinstance(body, Literal)
    assert body.value == "a portrait\nof {{ subject }}\n"
    assert (body.multiline, body.content_line) == (True, 4)
    assert body.source_line(2) == 5
    assert body.span == at(3, 11, 5, 23)  # ends at the last content line
    assert isinstance(negative, Literal)
    assert (negative.value, negative.multiline, negative.content_line) == ("old, blurry", True, 8)
    assert isinstance(callback, Literal)
    assert (callback.multiline, callback.content_line) == (False, 10)
    assert callback.span == at(10, 15, 11, 16)


def test_extends_forms() -> None:
    presets = "presets:\n  a: {}\n  b: {}\n"
    spec = spec_of(presets + "prompts:\n  one:\n    extends: a\n  two:\n    extends: [a, b]\n")
    assert [r.name for r in spec.prompts[0].extends] == ["a"]
    two = spec.prompts[1]
    assert [(r.name, r.span) for r in two.extends] == [
        ("a", at(8, 15, 8, 16)), ("b", at(8, 18, 8, 19)),
    ]


def test_imports_as_one_string_or_a_list() -> None:
    one = spec_of("imports: a.pspec\n")
    assert [(i.path, i.span) for i in one.imports] == [("a.pspec", at(1, 10, 1, 17))]
    many = spec_of("imports:\n  - a.pspec\n  - b/c.pspec.yaml\n")
    assert [i.path for i in many.imports] == ["a.pspec", "b/c.pspec.yaml"]


def test_unknown_parameters_and_tune_are_fields() -> None:
    spec = spec_of("prompts:\n  p:\n    tune: 5\n    colour: red\n")
    assert [f.name for f in spec.prompts[0].fields] == ["tune", "colour"]


@pytest.mark.parametrize("text", ["", "# only a comment\n", "\n\n", "---\n", "\ufeff# bom\n"])
def test_empty_files_are_empty_specs(text: str) -> None:
    assert spec_of(text) == SpecFile(P, "yaml")


def test_empty_sections_and_bodies() -> None:
    spec = spec_of("vars:\npresets:\n  base:\nprompts:\n  p:\n    sweep:\n")
    assert spec.vars == () and spec.presets[0].fields == ()
    assert spec.prompts[0].sweep is not None and spec.prompts[0].sweep.axes == ()


def test_non_ascii_columns_count_characters() -> None:
    text = (
        "prompts:\n"
        "  p:\n"
        '    text: "日本語 𝄞" # ü\n'
        "    négatif: [é, ü]\n"
        "    sweep:\n"
        '      x: "é..ü"\n'
    )
    parsed = parse(text)
    assert parsed.spec is not None
    p = parsed.spec.prompts[0]
    first, second = p.fields
    assert first.value.span == at(3, 11, 3, 18)
    assert second.name_span == at(4, 5, 4, 12)
    assert isinstance(second.value, ListValue)
    assert [i.span for i in second.value.items] == [at(4, 15, 4, 16), at(4, 18, 4, 19)]
    assert p.sweep is not None and isinstance(p.sweep.axes[0].value, RangeValue)
    assert p.sweep.axes[0].value.end.span == at(6, 14, 6, 15)
    assert found('vars:\n  日本: "x\\q"\n') == [("PS001", 2, 9)]  # at the backslash


# -- PS001 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "col"),
    [
        ("a: &x 1\nb: &x 2\n", 2, 4),  # duplicate anchor, at the second
        ("prompts: *nope\n", 1, 10),  # undefined alias
        ("prompts:\n\tp: {}\n", 2, 1),  # a tab for indentation
        ("tune: 1\n vars: 2\n", 2, 6),  # bad indentation
        ("imports: [a, b\n", 2, 1),  # unclosed flow sequence
        ('tune: "unterminated\n', 2, 1),
        ("tune: b: c\n", 1, 8),
        ("- a\nb: 1\n", 2, 1),
        ('vars:\n  a: "x\\q"\n', 2, 8),  # unknown escape
        ("@x\n", 1, 1),
        ("`cmd`\n", 1, 1),
        ("vars:\n  a: 1\n   b: 2\n", 3, 5),
        ("vars: [1, 2]]\n", 1, 13),
        ("tune: 1\n---\n: [\n", 3, 1),  # in a later document
        ("tune: 1\n\x00\n", 2, 1),  # a control character
        ("tune: é\x07\n", 1, 8),  # located in characters, not UTF-8 bytes
        ("prompts:\n  p:\n    text: |\n  bad\n", 5, 1),
    ],
)
def test_syntax_errors_at_the_problem(text: str, line: int, col: int) -> None:
    parsed = parse(text)
    assert parsed.spec is None
    assert found(text) == [("PS001", line, col)]
    assert "\n" not in parsed.diagnostics[0].message


def test_syntax_error_messages_name_the_problem() -> None:
    (tab,) = parse("prompts:\n\tp: {}\n").diagnostics
    assert "tab" in tab.message
    (anchor,) = parse("a: &x 1\nb: &x 2\n").diagnostics
    assert "anchor" in anchor.message and "line 1" in anchor.message


def test_deep_nesting_is_a_syntax_error_not_a_crash() -> None:
    for text in ("[" * 50_000, "[" * 50_000 + "]" * 50_000, "a:\n" + "- " * 3000 + "x\n"):
        (diag,) = parse(text).diagnostics
        assert diag.code == "PS001" and "nesting" in diag.message


def test_a_long_line_is_not_mistaken_for_deep_nesting() -> None:
    spec = spec_of("prompts:\n  p:\n    text: " + "word " * 1000 + "\n")
    assert spec.prompts[0].fields[0].name == "text"


def test_surrogates_are_a_syntax_error() -> None:
    assert found("tune: \ud800\n") == [("PS001", 1, 7)]


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_arbitrary_text_never_raises(text: str) -> None:
    parsed = parse_yaml(text, P)
    assert parsed.spec is not None or [d.code for d in parsed.diagnostics] == ["PS001"]


_YAMLISH = st.lists(
    st.sampled_from(
        ["prompts:", "presets:", "vars:", "  p:", "    text: x", "    sweep:", "      seed: 1..4",
         "- a", "[", "]", "{", "}", ": ", "&a ", "*a", "!!int ", '"', "'", "|", ">-", "\t", "#",
         "    extends: [a, b]", "version: 2", "imports: 1", "---", "    zip: {x: [[1]]}", "    "]
    ),
    max_size=20,
).map("\n".join)


@settings(max_examples=150, deadline=None)
@given(_YAMLISH)
def test_yaml_like_text_never_raises(text: str) -> None:
    parsed = parse_yaml(text, P)
    for d in parsed.diagnostics:
        assert d.code in ("PS001", "PS002", "PS007")
        assert d.span.line >= 1 and d.span.column >= 1


# -- PS002 -------------------------------------------------------------------------------------


def test_duplicate_key_reported_at_the_later_one_keeping_the_first() -> None:
    parsed = parse("prompts:\n  p:\n    seed: 1\n    text: x\n    seed: 2\n")
    (diag,) = parsed.diagnostics
    assert (diag.code, diag.span.line, diag.span.column) == ("PS002", 5, 5)
    assert "line 3" in diag.message and "'seed'" in diag.message
    assert parsed.spec is not None
    fields = parsed.spec.prompts[0].fields
    assert [(f.name, getattr(f.value, "value", None)) for f in fields] == [
        ("seed", 1), ("text", "x"),
    ]


@pytest.mark.parametrize(
    ("text", "line", "col"),
    [
        ("tune: 1\ntune: 2\n", 2, 1),
        ("vars: {a: 1, a: 2}\n", 1, 14),
        ("presets:\n  a: {}\n  a: {}\n", 3, 3),
        ("prompts:\n  p:\n    sweep:\n      seed: [1]\n      seed: [2]\n", 5, 7),
        ("prompts:\n  p:\n    vars: {x: 1}\n    vars: {y: 1}\n", 4, 5),
        ("prompts:\n  p:\n    input_image: {file: a, file: b}\n", 3, 28),
    ],
)
def test_duplicate_keys(text: str, line: int, col: int) -> None:
    assert found(text) == [("PS002", line, col)]


# -- PS007 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- a\n- b\n", [(1, 1)]),  # not a mapping
        ("just text\n", [(1, 1)]),
        ("promts: {}\n", [(1, 1)]),  # unknown top-level key
        ("version: 2\n", [(1, 10)]),
        ("version: '1'\n", [(1, 10)]),
        ("presets:\n  a: 3\n", [(2, 6)]),  # a body that is not a mapping
        ("prompts: [a]\n", [(1, 10)]),
        ("vars: [a]\n", [(1, 7)]),
        ("prompts:\n  p:\n    vars: 3\n", [(3, 11)]),
        ("prompts:\n  p:\n    sweep: [1]\n", [(3, 12)]),
        ("prompts:\n  p:\n    zip: x\n", [(3, 10)]),
        ("presets:\n  a:\n    sweep: {seed: [1]}\n", [(3, 5)]),  # sweep in a preset
        ("presets:\n  a:\n    zip: {seed: [1]}\n", [(3, 5)]),
        ("prompts:\n  1p: {}\n", [(2, 3)]),  # bad name
        ("presets:\n  a b: {}\n", [(2, 3)]),
        ("vars:\n  café: x\n", [(2, 3)]),
        ("prompts:\n  p:\n    vars: {a.b: 1}\n", [(3, 12)]),
        ("1: x\n", [(1, 1)]),  # non-string keys
        ("prompts:\n  p:\n    true: 1\n", [(3, 5)]),
        ("prompts:\n  p:\n    [a]: 1\n", [(3, 5)]),
        ("prompts:\n  p:\n    <<: {text: x}\n", [(3, 5)]),  # merge keys
        ("tune: 1\n---\ntune: 2\n", [(3, 1)]),  # more than one document
        ("prompts:\n  p:\n    seed: [[[1, 2]]]\n", [(3, 13)]),  # lists nested twice
        ("prompts:\n  p:\n    seed: [{a: 1}]\n", [(3, 12)]),
        ("prompts:\n  p:\n    seed: {a: 1}\n", [(3, 11)]),
        ("prompts:\n  p:\n    input_image: {file: [a]}\n", [(3, 25)]),
        ("prompts:\n  p:\n    extends: [a, [b]]\n", [(3, 18)]),
        ("prompts:\n  p:\n    extends: {a: 1}\n", [(3, 14)]),
        ("imports: [a, 3]\n", [(1, 14)]),
    ],
)
def test_invalid_structure(text: str, expected: list[tuple[int, int]]) -> None:
    assert found(text) == [("PS007", line, col) for line, col in expected]


def test_structure_errors_keep_the_rest_of_the_file() -> None:
    parsed = parse("promts: {}\nversion: 3\ntune: 5\nprompts:\n  bad: 3\n  good:\n    text: x\n")
    assert [d.code for d in parsed.diagnostics] == ["PS007"] * 3
    assert parsed.spec is not None
    assert parsed.spec.tune is not None
    assert [p.name for p in parsed.spec.prompts] == ["bad", "good"]
    assert parsed.spec.prompts[1].fields[0].name == "text"


def test_unknown_top_level_key_suggests_a_known_one() -> None:
    (diag,) = parse("promts:\n  p: {}\n").diagnostics
    assert "did you mean 'prompts'?" in diag.message


# -- one model, two syntaxes -------------------------------------------------------------------


def without_places(node: Any) -> Any:
    """The model with every span, line number and file path taken out."""
    if isinstance(node, Span):
        return None
    if isinstance(node, tuple):
        return tuple(without_places(item) for item in node)
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        fields = {
            f.name: without_places(getattr(node, f.name))
            for f in dataclasses.fields(node)
            if f.name not in ("path", "syntax", "content_line")
        }
        return (type(node).__name__, fields)
    return node


def test_without_places_still_sees_values() -> None:
    one, two = spec_of("tune: 1\n"), spec_of("\n\ntune: 2\n")
    assert without_places(one) != without_places(two)
    assert without_places(one) == without_places(spec_of("\n# moved\ntune:   1\n"))


def test_both_syntaxes_of_the_contract_example_give_one_model() -> None:
    from promptspec.syntax.dsl.builder import parse_dsl

    dsl_path = CASES / "contract_example.pspec"
    dsl = parse_dsl(dsl_path.read_text("utf-8"), str(dsl_path))
    yaml = contract_example()
    assert dsl.diagnostics == () and yaml.diagnostics == ()
    assert dsl.spec is not None and yaml.spec is not None
    # The DSL has no `version` statement; the YAML file states version 1.
    yaml_spec = dataclasses.replace(yaml.spec, version=None)
    assert without_places(yaml_spec) == without_places(dsl.spec)


@pytest.mark.parametrize(
    "text", ["vars:\n  a: &x\n    - *x\n", "vars:\n  a: &x\n    b: *x\n", "prompts: &p\n  p: *p\n"]
)
def test_a_recursive_alias_is_no_crash(text: str) -> None:
    parsed = parse(text)
    assert parsed.spec is not None
    assert [d.code for d in parsed.diagnostics] == ["PS007"]
