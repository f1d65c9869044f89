"""The DSL front end: grammar, model building, spans and front-end diagnostics."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptspec.load import load
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
from promptspec.syntax.dsl.builder import parse_dsl, parse_tree
from promptspec.syntax.dsl.grammar import get_parser, grammar_path
from promptspec.syntax.dsl.syntax_errors import ERROR_EXAMPLES, syntax_error

CASES = Path(__file__).resolve().parent / "data" / "conformance"
EXAMPLE = (CASES / "contract_example.pspec").read_text(encoding="utf-8")


def spec_of(text: str) -> SpecFile:
    parsed = parse_dsl(text, "t.pspec")
    assert parsed.diagnostics == (), parsed.diagnostics
    assert parsed.spec is not None
    return parsed.spec


def value_of(text: str) -> object:
    """The model value of `x = <text>` inside a prompt."""
    spec = spec_of(f"prompt p {{\n  x = {text}\n}}\n")
    return spec.prompts[0].fields[0].value


def codes(text: str) -> list[tuple[str, int, int]]:
    parsed = parse_dsl(text, "t.pspec")
    return [(d.code, d.span.line, d.span.column) for d in parsed.diagnostics]


def sp(line: int, col: int, end_line: int, end_col: int) -> Span:
    return Span("t.pspec", line, col, end_line, end_col)


# -- the contract's example -----------------------------------------------------------------


def test_contract_example_model() -> None:
    spec = spec_of(EXAMPLE)
    assert spec.syntax == "dsl"
    assert spec.path == "t.pspec"
    assert spec.imports == ()
    assert spec.tune is not None
    assert spec.tune.value == Literal(1234, sp(2, 6, 2, 10), "1234")
    assert spec.tune.name_span == sp(2, 1, 2, 5)
    assert [(v.name, v.value.value) for v in spec.vars] == [("subject", "ohwx man")]  # type: ignore[union-attr]
    assert [p.name for p in spec.presets] == ["base", "portrait"]
    base, portrait = spec.presets
    assert [(f.name, f.value.value) for f in base.fields] == [  # type: ignore[union-attr]
        ("negative_prompt", "old, blemish, wrinkles, mole"),
        ("super_resolution", True),
        ("face_correct", True),
    ]
    assert base.span == sp(8, 1, 12, 2)
    assert base.name_span == sp(8, 8, 8, 12)
    assert [(r.name, r.span) for r in portrait.extends] == [("base", sp(14, 19, 14, 23))]

    van_gogh, pairs = spec.prompts
    assert van_gogh.name_span == sp(19, 8, 19, 16)
    assert van_gogh.span == sp(19, 1, 28, 2)
    assert [f.name for f in van_gogh.fields] == ["text", "num_images"]
    text = van_gogh.fields[0]
    assert text.name_span == sp(20, 3, 20, 7)
    assert text.span == sp(20, 3, 20, 68)
    assert text.value == Literal(
        "a painting of {{ subject }} in the style of {{ artist }}", sp(20, 10, 20, 68), None, 20
    )
    assert van_gogh.fields[1].value == Literal(4, sp(21, 16, 21, 17), "4")
    assert [(v.name, v.value.value) for v in van_gogh.vars] == [("artist", "Van Gogh")]  # type: ignore[union-attr]
    assert van_gogh.zip is None
    sweep = van_gogh.sweep
    assert sweep is not None
    assert sweep.span == sp(23, 3, 27, 4)
    seed, cfg, artist = sweep.axes
    assert seed.value == RangeValue(
        Literal(1, sp(24, 12, 24, 13), "1"),
        Literal(4, sp(24, 15, 24, 16), "4"),
        None,
        None,
        sp(24, 12, 24, 16),
    )
    assert isinstance(cfg.value, ListValue)
    assert cfg.value.span == sp(25, 17, 25, 29)
    assert [(i.value, i.text, i.span) for i in cfg.value.items] == [  # type: ignore[union-attr]
        (5, "5", sp(25, 18, 25, 19)),
        (7.5, "7.5", sp(25, 21, 25, 24)),
        (10, "10", sp(25, 26, 25, 28)),
    ]
    assert isinstance(cfg.value.items[1].value, float)  # type: ignore[union-attr]
    assert [i.value for i in artist.value.items] == ["Van Gogh", "Monet"]  # type: ignore[union-attr]

    assert pairs.extends == ()
    assert [(f.name, f.value.value) for f in pairs.fields] == [  # type: ignore[union-attr]
        ("tune", 99),
        ("text", "portrait of {{ subject }}"),
    ]
    assert pairs.sweep is None
    assert pairs.zip is not None
    assert pairs.zip.span == sp(33, 3, 36, 4)
    assert [a.name for a in pairs.zip.axes] == ["seed", "steps"]


def test_contract_example_with_import() -> None:
    spec = spec_of('import "presets/common.pspec"\n\n' + EXAMPLE)
    assert [(i.path, i.span) for i in spec.imports] == [("presets/common.pspec", sp(1, 8, 1, 30))]


@pytest.mark.parametrize("path", sorted(CASES.rglob("*.pspec")), ids=lambda p: p.name)
def test_conformance_files_parse_clean(path: Path) -> None:
    parsed = load(str(path))
    assert parsed.diagnostics == ()
    assert parsed.spec is not None
    assert parsed.spec.prompts or parsed.spec.presets


def test_load_accepts_bom(tmp_path: Path) -> None:
    f = tmp_path / "bom.pspec"
    f.write_bytes(b"\xef\xbb\xbftune 5\n")
    parsed = load(str(f))
    assert parsed.spec is not None and parsed.spec.tune is not None
    assert parsed.spec.tune.name_span.column == 1


# -- values -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7", 7),
        ("-1", -1),
        ("7.5", 7.5),
        ("-0.25", -0.25),
        ("1e3", 1000.0),
        ("true", True),
        ("false", False),
        ("null", None),
        ('"hello"', "hello"),
        ('""', ""),
        ('"a # not a comment"', "a # not a comment"),
        ('"{{ subject }}"', "{{ subject }}"),
    ],
)
def test_scalars(text: str, expected: object) -> None:
    value = value_of(text)
    assert isinstance(value, Literal)
    assert value.value == expected
    assert type(value.value) is type(expected)
    assert value.span == sp(2, 7, 2, 7 + len(text))


def test_numbers_keep_their_text() -> None:
    for text in ("7", "7.50", "-1", "0.20"):
        value = value_of(text)
        assert isinstance(value, Literal) and value.text == text
    value = value_of('"7"')
    assert isinstance(value, Literal) and value.text is None


def test_strings_record_their_line() -> None:
    value = value_of('"x"')
    assert isinstance(value, Literal)
    assert (value.content_line, value.multiline) == (2, False)


def test_escapes() -> None:
    value = value_of(r'"a\"b\\c\nd\te"')
    assert isinstance(value, Literal)
    assert value.value == 'a"b\\c\nd\te'


@pytest.mark.parametrize(("text", "column"), [(r'"a\qb"', 9), (r'"ok\n\x"', 12), (r'"\u0041"', 8)])
def test_unknown_escape_is_ps001_at_the_backslash(text: str, column: int) -> None:
    parsed = parse_dsl(f"prompt p {{\n  x = {text}\n}}\n", "t.pspec")
    assert parsed.spec is None
    assert [(d.code, d.span.line, d.span.column) for d in parsed.diagnostics] == [
        ("PS001", 2, column)
    ]


def test_block_string_dedent() -> None:
    src = 'prompt p {\n  text = """\n    line one\n      indented\n\n    line three\n    """\n}\n'
    text = spec_of(src).prompts[0].fields[0].value
    assert isinstance(text, Literal)
    assert text.value == "line one\n  indented\n\nline three"
    assert text.multiline and text.content_line == 3
    assert text.span == sp(2, 10, 7, 8)
    assert text.source_line(2) == 4


def test_block_string_forms() -> None:
    one_line = value_of('"""a "quoted" \\n word"""')
    assert isinstance(one_line, Literal)
    assert one_line.value == 'a "quoted" \\n word'  # blocks are raw
    assert one_line.content_line == 2
    same_line = spec_of('prompt p {\n  x = """first\n    second\n  """\n}\n').prompts[0].fields[0]
    assert isinstance(same_line.value, Literal)
    assert same_line.value.value == "first\n    second"
    assert same_line.value.content_line == 2
    closing_on_text_line = spec_of('prompt p {\n  x = """\n    a\n    b"""\n}\n').prompts[0]
    value = closing_on_text_line.fields[0].value
    assert isinstance(value, Literal) and value.value == "a\nb"
    assert value_of('""""""') == Literal("", sp(2, 7, 2, 13), None, 2, True)


def test_crlf_line_ends() -> None:
    src = 'tune 3\r\nprompt p {\r\n  text = """\r\n    a\r\n    b\r\n  """\r\n}\r\n'
    spec = spec_of(src)
    text = spec.prompts[0].fields[0].value
    assert isinstance(text, Literal) and text.value == "a\nb"
    assert spec.prompts[0].span == sp(2, 1, 7, 2)


def test_lists() -> None:
    value = value_of('[1, "two", true, null, file("p.png"),]')
    assert isinstance(value, ListValue)
    assert [type(i).__name__ for i in value.items] == ["Literal"] * 4 + ["FileRef"]
    assert value.items[4] == FileRef("p.png", sp(2, 30, 2, 43))
    assert value_of("[]") == ListValue((), sp(2, 7, 2, 9))


def test_list_spanning_lines_with_comments() -> None:
    src = "prompt p {\n  x = [\n    1,  # one\n\n    2,\n  ]\n  y = 3\n}\n"
    fields = spec_of(src).prompts[0].fields
    x = fields[0].value
    assert isinstance(x, ListValue)
    assert [i.span.line for i in x.items] == [3, 5]
    assert x.span == sp(2, 7, 6, 4)
    assert fields[1].name == "y"


@pytest.mark.parametrize(
    ("text", "start", "end", "step", "count"),
    [
        ("1..4", 1, 4, None, None),
        ("5..9 step 0.5", 5, 9, 0.5, None),
        ("0.2..0.8 count 4", 0.2, 0.8, None, 4),
        ("10..1 step -3", 10, 1, -3, None),
        ('"a"..true', "a", True, None, None),
    ],
)
def test_ranges(text: str, start: object, end: object, step: object, count: object) -> None:
    value = value_of(text)
    assert isinstance(value, RangeValue)
    assert value.start.value == start and value.end.value == end
    assert (value.step.value if value.step else None) == step
    assert (value.count.value if value.count else None) == count
    assert value.span == sp(2, 7, 2, 7 + len(text))


def test_range_bounds_keep_text() -> None:
    value = value_of("0.20..0.80 count 4")
    assert isinstance(value, RangeValue)
    assert (value.start.text, value.end.text) == ("0.20", "0.80")
    assert value.count is not None and value.count.span == sp(2, 24, 2, 25)


def test_random_and_file() -> None:
    assert value_of("random(4)") == RandomValue(
        Literal(4, sp(2, 14, 2, 15), "4"), None, sp(2, 7, 2, 16)
    )
    r = value_of("random( 4 , 42 )")
    assert isinstance(r, RandomValue) and r.seed is not None and r.seed.value == 42
    assert value_of('file("refs/pose.png")') == FileRef("refs/pose.png", sp(2, 7, 2, 28))


def test_keywords_work_as_names() -> None:
    names = [
        "tune",
        "count",
        "step",
        "random",
        "file",
        "true",
        "false",
        "null",
        "import",
        "preset",
        "prompt",
        "tunes",
        "trueish",
        "with-dash",
        "_x",
    ]
    body = "".join(f"  {n} = 1\n" for n in names)
    spec = spec_of(f"tune 5\npreset prompt {{\n{body}}}\nprompt tune : prompt, zip {{\n{body}}}\n")
    assert [f.name for f in spec.presets[0].fields] == names
    assert spec.presets[0].name == "prompt"
    prompt = spec.prompts[0]
    assert prompt.name == "tune"
    assert [r.name for r in prompt.extends] == ["prompt", "zip"]
    assert [f.name for f in prompt.fields] == names
    assert spec_of("vars {\n  sweep = 1\n  zip = 2\n}\n").vars[1].name == "zip"


def test_blank_lines_comments_and_one_line_blocks() -> None:
    src = (
        "# head\n\n\ntune 5   # default\n\n"
        'prompt p { text = "x" }\n'
        "prompt q {\n\n  # inside\n\n  vars { a = 1 }\n\n  sweep { seed = [1, 2] }\n\n}\n\n# tail"
    )
    spec = spec_of(src)
    assert [p.name for p in spec.prompts] == ["p", "q"]
    q = spec.prompts[1]
    assert q.vars[0].name == "a" and q.sweep is not None and q.sweep.axes[0].name == "seed"


def test_empty_and_comment_only_files() -> None:
    assert spec_of("") == SpecFile("t.pspec", "dsl")
    assert spec_of("\n\n# only a comment\n   \n") == SpecFile("t.pspec", "dsl")


def test_duplicate_names_are_kept_for_resolution() -> None:
    spec = spec_of(
        'prompt a { text = "x" }\nprompt a { text = "y" }\npreset b {\n}\npreset b {\n}\n'
    )
    assert [p.name for p in spec.prompts] == ["a", "a"]
    assert [p.name for p in spec.presets] == ["b", "b"]


def test_parse_tree_exposes_comments() -> None:
    src = '# one\ntune 5 # two\nprompt p {\n  text = "# not"  # three\n}\n'
    tree, comments = parse_tree(src)
    assert tree.data == "start"
    assert [(str(c), c.line, c.column) for c in comments] == [
        ("# one", 1, 1),
        ("# two", 2, 8),
        ("# three", 4, 19),
    ]
    assert parse_tree("tune 1")[1] == []


def test_grammar_is_found_and_parser_is_shared() -> None:
    assert grammar_path().name == "promptspec.lark"
    assert get_parser() is get_parser()
    assert get_parser().options.parser == "lalr"


# -- PS001 ------------------------------------------------------------------------------------

SYNTAX_ERRORS = [
    # (source, line, column, a word of the message)
    ('prompt a {\n  text "x"\n}\n', 2, 8, "'='"),
    ("prompt a {\n  text = Monet\n}\n", 2, 10, "quoted"),
    ('prompt a {\n  text = "abc\n}\n', 2, 10, "unterminated string"),
    ('prompt a {\n  text = """abc\n}\n', 2, 10, '"""'),
    ('prompt a {\n  text = "x"\n', 3, 1, "missing closing '}' for the block opened on line 1"),
    ("prompt a {\n  sweep {\n    seed = [1]\n  \n", 5, 1, "opened on line 2"),
    ('prompt a {\n  text = "x" seed = 1\n}\n', 2, 14, "one statement per line"),
    ("prompt a {\n  seed = [1, 2\n}\n", 3, 1, "missing closing ']'"),
    ("prompt a {\n  seed = [1 2]\n}\n", 2, 13, "']'"),
    ("prompt a {\n  seed = random(4, 5, 6)\n}\n", 2, 21, "random("),
    ("prompt a {\n  seed = 1..\n}\n", 2, 13, "'..'"),
    ("prompt a {\n  x = file(y)\n}\n", 2, 12, "file("),
    ("prompt a {\n  x = file(3)\n}\n", 2, 12, "in quotes"),
    ('prompt a {\n  text = "x"\n}}\n', 3, 2, "no block is open"),
    ('prompt a {\n  text = "x" $\n}\n', 2, 14, "'$'"),
    ("import foo\n", 1, 8, "quotes"),
    ("import 3\n", 1, 8, "quotes"),
    ("tune\n", 1, 5, "'tune'"),
    ("prompt {\n}\n", 1, 8, "name"),
    ("prompt a\n{\n}\n", 1, 9, "'{'"),
    ("prompt a : {\n}\n", 1, 12, "preset name"),
    ("vars x\n", 1, 6, "'{'"),
    ("prompt a {\n  = 1\n}\n", 2, 3, "field name"),
    ("prompt a {\n  x = 1\n}\nprompt b {\n  y = 2 z\n}\n", 5, 9, "one statement per line"),
    ("\n\n  preset a { } prompt b { }\n", 3, 16, "one statement per line"),
    ("prompt a {\n  seed = 01.5.3\n}\n", 2, 14, "'.'"),
]


@pytest.mark.parametrize(("src", "line", "column", "words"), SYNTAX_ERRORS)
def test_syntax_errors_point_at_the_first_bad_place(
    src: str, line: int, column: int, words: str
) -> None:
    parsed = parse_dsl(src, "t.pspec")
    assert parsed.spec is None
    assert len(parsed.diagnostics) == 1
    d = parsed.diagnostics[0]
    assert (d.code, d.span.line, d.span.column) == ("PS001", line, column), d.message
    assert words in d.message
    assert "\n" not in d.message


def test_only_the_first_syntax_error_is_reported() -> None:
    src = 'prompt a {\n  text = "a\\q"\n  seed = "b\\w"\n}\n'
    assert codes(src) == [("PS001", 2, 12)]
    assert parse_dsl(src + "}}}", "t.pspec").diagnostics[0].span.line == 5


def test_every_error_sample_fails_with_its_own_message() -> None:
    for label, samples in ERROR_EXAMPLES.items():
        messages = []
        for sample in samples:
            parsed = parse_dsl(sample, "t.pspec")
            assert parsed.spec is None, sample
            message = parsed.diagnostics[0].message
            # EOF and unclosed-bracket cases get a more precise message than the table's.
            assert message == label or message.startswith("missing closing"), (sample, message)
            messages.append(message)
        assert label in messages


def test_syntax_error_for_foreign_exceptions() -> None:
    d = syntax_error("x", "t.pspec", RecursionError())
    assert (d.code, d.span.line, d.span.column) == ("PS001", 1, 1)


def test_deep_nesting_does_not_raise() -> None:
    deep = "[" * 3000 + "]" * 3000
    assert [c for c, _, _ in codes(f"prompt a {{\n  x = {deep}\n}}\n")] == ["PS007"]
    assert [c for c, _, _ in codes(f"prompt a {{\n  x = {'[' * 3000}\n}}\n")] == ["PS001"]


# -- PS002 ------------------------------------------------------------------------------------


def test_duplicate_field_keeps_the_first() -> None:
    src = "prompt a {\n  seed = 1\n  steps = 2\n  seed = 3\n}\n"
    parsed = parse_dsl(src, "t.pspec")
    assert [(d.code, d.span) for d in parsed.diagnostics] == [("PS002", sp(4, 3, 4, 7))]
    assert "line 2" in parsed.diagnostics[0].message
    assert parsed.spec is not None
    fields = parsed.spec.prompts[0].fields
    assert [(f.name, f.value.value) for f in fields] == [("seed", 1), ("steps", 2)]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("src", "line", "column"),
    [
        ("preset a {\n  w = 8\n  w = 16\n}\n", 3, 3),
        ("vars {\n  a = 1\n}\nvars {\n  a = 2\n}\n", 5, 3),
        ("prompt p {\n  vars { a = 1 }\n  vars {\n    a = 2\n  }\n}\n", 4, 5),
        ("tune 1\ntune 2\n", 2, 1),
        ("prompt p {\n  sweep { seed = [1] }\n  sweep { steps = [2] }\n}\n", 3, 3),
        ("prompt p {\n  zip { seed = [1] }\n  zip { steps = [2] }\n}\n", 3, 3),
        ("prompt p {\n  sweep {\n    seed = [1]\n    seed = 1..3\n  }\n}\n", 4, 5),
        ("prompt p {\n  sweep { seed = [1] }\n  zip {\n    seed = [2]\n  }\n}\n", 4, 5),
    ],
)
def test_duplicates_are_ps002_at_the_later_one(src: str, line: int, column: int) -> None:
    assert codes(src) == [("PS002", line, column)]


def test_duplicate_blocks_and_axes_keep_the_first() -> None:
    src = (
        "tune 1\ntune 2\nprompt p {\n  sweep { seed = [1] }\n  sweep { steps = [2] }\n"
        "  zip {\n    seed = [3]\n    cfg_scale = [4]\n  }\n}\n"
    )
    parsed = parse_dsl(src, "t.pspec")
    assert parsed.spec is not None
    assert parsed.spec.tune is not None and parsed.spec.tune.value.value == 1  # type: ignore[union-attr]
    prompt: Prompt = parsed.spec.prompts[0]
    assert prompt.sweep is not None and [a.name for a in prompt.sweep.axes] == ["seed"]
    assert prompt.zip is not None and [a.name for a in prompt.zip.axes] == ["cfg_scale"]
    assert [d.code for d in parsed.diagnostics] == ["PS002"] * 3


def test_same_name_in_fields_and_vars_is_not_a_duplicate() -> None:
    assert codes("prompt p {\n  seed = 1\n  vars { seed = 2 }\n}\n") == []


# -- PS007 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("src", "line", "column"),
    [
        ("preset a {\n  sweep { seed = [1] }\n}\n", 2, 3),
        ("preset a {\n  zip { seed = [1] }\n}\n", 2, 3),
        ("vars {\n  sweep { seed = [1] }\n}\n", 2, 3),
        ("prompt p {\n  vars {\n    zip { seed = [1] }\n  }\n}\n", 3, 5),
        ("prompt p {\n  sweep {\n    sweep { seed = [1] }\n  }\n}\n", 3, 5),
        ("prompt p {\n  zip {\n    vars { a = 1 }\n  }\n}\n", 3, 5),
        ('text = "x"\n', 1, 1),
        ("tune = 5\n", 1, 1),
        ("prompt p {\n  vars = 3\n}\n", 2, 3),
        ("prompt p {\n  sweep = [1]\n}\n", 2, 3),
        ("prompt p {\n  seed = [1, [[2]], 3]\n}\n", 2, 15),
        ("prompt p {\n  seed = [1..3]\n}\n", 2, 11),
        ("prompt p {\n  seed = [random(3)]\n}\n", 2, 11),
    ],
)
def test_invalid_structure_is_ps007(src: str, line: int, column: int) -> None:
    parsed = parse_dsl(src, "t.pspec")
    assert [(d.code, d.span.line, d.span.column) for d in parsed.diagnostics] == [
        ("PS007", line, column)
    ]
    assert parsed.spec is not None


def test_ps007_drops_what_the_model_cannot_hold() -> None:
    parsed = parse_dsl("preset a {\n  w = 8\n  sweep { seed = [1] }\n}\n", "t.pspec")
    assert parsed.spec is not None
    preset = parsed.spec.presets[0]
    assert [f.name for f in preset.fields] == ["w"]
    items = parse_dsl("prompt p {\n  seed = [1, [[2], 4], 3]\n}\n", "t.pspec").spec
    assert items is not None
    value = items.prompts[0].fields[0].value
    assert isinstance(value, ListValue)
    nested = value.items[1]
    assert isinstance(nested, ListValue) and [i.value for i in nested.items] == [4]  # type: ignore[union-attr]


# -- never raises ------------------------------------------------------------------------------

_WORDS = "step count random file tune vars sweep zip preset prompt import true null x é"
_ALPHABET = st.sampled_from([*'{}[]()=,.:#"\\\n \t\r-_0123456789', "..", '"""', *_WORDS.split()])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=80))
def test_arbitrary_text_never_raises(text: str) -> None:
    parsed = parse_dsl(text, "t.pspec")
    assert (parsed.spec is None) == any(d.code == "PS001" for d in parsed.diagnostics)
    for d in parsed.diagnostics:
        assert d.span.line >= 1 and d.span.column >= 1


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ALPHABET, max_size=40).map("".join))
def test_token_soup_never_raises(text: str) -> None:
    parsed = parse_dsl(text, "t.pspec")
    if parsed.spec is None:
        assert [d.code for d in parsed.diagnostics] == ["PS001"]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(0, len(EXAMPLE)), st.integers(0, 3), st.lists(_ALPHABET, max_size=3)),
        min_size=1,
        max_size=4,
    )
)
def test_mutated_example_never_raises(edits: list[tuple[int, int, list[str]]]) -> None:
    text = EXAMPLE
    for at, cut, insert in edits:
        at = min(at, len(text))
        text = text[:at] + "".join(insert) + text[at + cut :]
    parsed = parse_dsl(text, "t.pspec")
    lines = text.count("\n") + 1
    for d in parsed.diagnostics:
        assert 1 <= d.span.line <= lines
    if parsed.spec is None:
        assert len(parsed.diagnostics) == 1


# -- the position-free parser takes every place from tokens ----------------------------------

_FORMS = (
    EXAMPLE
    + 'prompt f {\n  input_image = file("refs/a.png")\n  sweep {\n    seed = random(4, 42)\n'
    + "    steps = 1..9 step 2\n    cfg_scale = [1, [2], random(3)]\n  }\n}\n"
)


def test_every_subtree_starts_and_ends_with_a_kept_token() -> None:
    """`tree_nodes` reads a subtree's place from its first and last tokens; with positions
    on, lark's own places for every subtree must agree."""
    import lark

    from promptspec.syntax.dsl.grammar import _edge

    tree, _ = parse_tree(_FORMS)
    checked = 0
    for sub in tree.iter_subtrees():
        if sub.data in ("start", "extends", "import_stmt") or not sub.children:
            continue  # places of these come from their names and paths only
        first, last = _edge(sub, False), _edge(sub, True)
        assert isinstance(first, lark.Token) and isinstance(last, lark.Token)
        assert (first.line, first.column) == (sub.meta.line, sub.meta.column), sub.data
        assert (last.end_line, last.end_column) == (sub.meta.end_line, sub.meta.end_column)
        checked += 1
    assert checked > 40


def test_random_and_file_spans_cover_the_call() -> None:
    parsed = parse_dsl(_FORMS, "t.pspec")
    assert parsed.spec is not None
    f = parsed.spec.prompts[-1]
    ref = f.fields[0].value
    assert isinstance(ref, FileRef) and ref.path == "refs/a.png"
    line = _FORMS.splitlines().index('  input_image = file("refs/a.png")') + 1
    assert (ref.span.line, ref.span.column, ref.span.end_column) == (line, 17, 35)
    assert f.sweep is not None
    rnd = f.sweep.axes[0].value
    assert isinstance(rnd, RandomValue) and rnd.span.column == 12 and rnd.span.end_column == 25
