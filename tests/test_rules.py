"""The rule checks beyond the case files (tests/rule_cases, collected by conftest.py):
fixes, imported files, the request limit, and judging huge sweeps without expanding them."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import pytest
from conftest import write
from hypothesis import example, given, settings
from hypothesis import strategies as st

from promptspec.diagnostics import Code, Diagnostic
from promptspec.errors import SpecError
from promptspec.expand import expand_prompt, prepare
from promptspec.lint.rules import check
from promptspec.resolve import resolve


def lint(path: Path | str, max_requests: int = 1000) -> list[Diagnostic]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a crashing rule family fails the test
        return check(resolve(str(path)), max_requests=max_requests)


# -- fixes -------------------------------------------------------------

def spec_file(root: Path, name: str, text: str) -> Path:
    """`name` holding `text` in a project at `root`."""
    return write(root, {name: text}, pyproject="") / name


def only(found: list[Diagnostic], code: str) -> Diagnostic:
    hits = [d for d in found if d.code == code]
    assert len(hits) == 1, found
    return hits[0]


def apply(text: str, d: Diagnostic) -> str:
    assert d.fix is not None
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    for e in sorted(d.fix, key=lambda e: (e.line, e.column), reverse=True):
        start = offsets[e.line - 1] + e.column - 1
        end = offsets[e.end_line - 1] + e.end_column - 1
        text = text[:start] + e.text + text[end:]
    return text


@pytest.mark.parametrize(("name", "text", "code", "fixed"), [
    ("f.pspec", 'tune 7\nprompt a {\n  text = "x"\n  scheduler = "Euler_A"\n}\n', "PS104",
     'scheduler = "euler_a"'),
    ("f.pspec.yaml", "version: 1\ntune: 7\nprompts:\n  a:\n    text: x\n    scheduler: LCM\n",
     "PS104", "scheduler: lcm"),
    ("f.pspec", 'tune 7\nprompt a {\n  text = "x"\n  w = 500\n}\n', "PS105", "w = 504"),
    ("f.pspec", 'tune 7\nprompt a {\n  text = "x"\n  h = 12\n}\n', "PS105", "h = 16"),
    ("f.pspec", 'tune 7\nprompt a {\n  text = "x"\n  sweep {\n    w = [512, 1023]\n  }\n}\n',
     "PS105", "w = [512, 1024]"),
    ("f.pspec", 'tune 7\nprompt a {\n  text = "x"\n  inpaint_faces = true\n}\n', "PS201",
     '  super_resolution = true\n  text = "x"'),
    ("f.pspec", 'tune 7\nprompt a {\n  text = "x"\n  hires_fix = true\n'
                "  super_resolution = false\n}\n", "PS202", "super_resolution = true"),
    ("f.pspec.yaml", "version: 1\ntune: 7\nprompts:\n  a:\n    text: x\n    hires_fix: true\n",
     "PS202", "    super_resolution: true\n    text: x"),
])
def test_fix_replaces_the_right_text(tmp_path: Path, name: str, text: str, code: str,
                                     fixed: str) -> None:
    path = spec_file(tmp_path, name, text)
    d = only(lint(path), code)
    mended = apply(text, d)
    assert fixed in mended
    path.write_text(mended, encoding="utf-8")
    assert not [x for x in lint(path) if x.code == code]


def test_unfixable_findings_carry_no_fix(tmp_path: Path) -> None:
    path = spec_file(tmp_path, "n.pspec", 'tune 7\nprompt a {\n  text = "x"\n  steps = 80\n'
                                      '  scheduler = "nope"\n}\n')
    assert all(d.fix is None for d in lint(path))


def test_findings_in_imported_files_belong_to_them(tmp_path: Path) -> None:
    spec_file(tmp_path, "lib.pspec", "preset p {\n  steps = 99\n  seed = \"x\"\n}\n")
    path = spec_file(tmp_path, "main.pspec", 'import "lib.pspec"\ntune 7\n'
                                         'prompt a : p {\n  text = "x"\n}\n')
    assert lint(path) == []


def test_max_requests_is_honoured(tmp_path: Path) -> None:
    path = spec_file(tmp_path, "m.pspec", 'tune 7\nprompt a {\n  text = "x"\n  sweep {\n'
                                      "    seed = 1..50\n  }\n}\n")
    assert not lint(path)
    d = only(lint(path, max_requests=10), "PS403")
    assert "50" in d.message and d.span.line == 2


# -- scale: rules judge sets of values, never the enumerated sweep -----------------------

HUGE = '''tune 7
vars {
  mood = "calm"
}
prompt big {
  text = "a {{ mood }} fox, seed {{ seed }}, cfg {{ cfg_scale }}"
  negative_prompt = "{{ steps }}"
  callback = "https://example.com/{{ seed }}/{{ mood }}"
  inpaint_faces = true
  sweep {
    seed = 0..999999
    cfg_scale = 0..15 count 1000
    steps = random(50)
    mood = ["calm", "wild"]
  }
  zip {
    super_resolution = [true, false]
    w = 8..16 step 8
  }
  sweep_h = 1
}
'''


def test_a_10_to_the_12_point_sweep_is_judged_without_iterating(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from promptspec import axes as values

    class NoIter(values.NumRange):
        __slots__ = ()

        def __iter__(self):  # type: ignore[no-untyped-def]
            raise AssertionError("a rule iterated a whole range")

    monkeypatch.setattr(values, "NumRange", NoIter)
    path = spec_file(tmp_path, "huge.pspec", HUGE)
    found = {(d.code, d.span.line) for d in lint(path)}
    assert found == {("PS403", 5), ("PS201", 9), ("PS101", 20)}


def test_a_huge_random_axis_stays_abstract(tmp_path: Path) -> None:
    path = spec_file(tmp_path, "r.pspec", 'tune 7\nprompt a {\n  text = "x"\n  sweep {\n'
                                      "    seed = random(1000000)\n    h = random(500000)\n"
                                      "  }\n}\n")
    found = {d.code for d in lint(path)}
    assert found == {"PS403", "PS105"}


# -- PS404 across prompts: the value-set filter never hides a shared request --------------

_AXIS_VALUES = ["[1, 2]", "[2, 3]", "[3]", "1..4", "2..8 step 3", "[7, 7.0]"]
_SCALES = ["7", "7.0", "7.5", "[5, 7]", "[7.5, 8]", "5..9 step 0.5", "6.25..8.25 step 1",
           "0.5..1 count 3"]
_ARTISTS = ['["Monet", "Goya"]', '["Goya"]', '["Goya", " Monet"]']
_TEXTS = ['"a {{ artist }}"', '"a Monet"', '" a Monet "', '"a Goya"', '"a {{ artist }} {{ n }}"',
          '"a {{ artist|upper }}"', '"{{ n }}"', '"1"', '"1.0"']


_FIELDS = (("text", _TEXTS, 10), ("seed", _AXIS_VALUES, 10), ("cfg_scale", _SCALES, 10),
           ("artist", _ARTISTS, 5), ("n", ["[1, 1.0]", "[2, 1]", "0..2"], 3))  # odds in tenths


@st.composite
def clashing_specs(draw: st.DrawFn) -> str:
    """Prompts that each take every choice of the previous one with odds of one half."""
    out = ['tune 7\n\nvars {\n  artist = "Monet"\n  n = 1\n}\n']
    prev: dict[str, str | None] = {}
    for p in range(draw(st.integers(2, 4))):
        chosen: dict[str, str | None] = {}
        for name, choices, tenths in _FIELDS:
            if prev and draw(st.booleans()):
                chosen[name] = prev[name]
            elif draw(st.integers(0, 9)) < tenths:
                chosen[name] = draw(st.sampled_from(choices))
            else:
                chosen[name] = None
        prev = chosen
        body: list[str] = []
        sweep: list[str] = []
        for name, value in chosen.items():
            if value is None:
                continue
            if name != "text" and ("[" in value or ".." in value):
                sweep.append(f"    {name} = {value}")
            else:
                body.append(f"  {name} = {value}")
        block = "  sweep {\n" + "\n".join(sweep) + "\n  }\n" if sweep else ""
        out.append(f"prompt p{p} {{\n" + "\n".join(body) + "\n" + block + "}\n")
    return "\n".join(out)


def _expanded_clashes(path: Path) -> dict[str, str]:
    """Prompt -> the earlier prompt of its first shared request, expanding every prompt."""
    res = resolve(str(path))
    owner: dict[str, str] = {}
    found: dict[str, str] = {}
    for rp in res.prompts:
        try:
            ids = [r.id for r in expand_prompt(prepare(rp, str(path), res.root))]
        except SpecError:
            continue
        clash = next((i for i in ids if i in owner), None)
        if clash is not None:
            found[rp.name] = owner[clash]
        for i in ids:
            owner.setdefault(i, rp.name)
    return found


def _clash_findings(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(prompt -> earlier prompt) by lint's PS404, and by expanding every prompt."""
    found = lint(path)
    within = {d.prompt for d in found if d.code == "PS404" and ": " in d.message
              and "yields" not in d.message}
    across = {str(d.prompt): d.message.split("prompt ")[2].split("'")[1] for d in found
              if d.code == "PS404" and "yields the same request" in d.message}
    want = {p: o for p, o in _expanded_clashes(path).items() if p not in within}
    return across, want


CLASH = ('tune 7\nprompt p0 {\n  text = "a Monet"\n  sweep {\n    seed = [1, 2]\n  }\n}\n'
         'prompt p1 {\n  text = "a {{ artist }}"\n  sweep {\n    seed = 2..8 step 3\n'
         '    artist = ["Monet", "Goya"]\n  }\n}\n')


@settings(max_examples=50, deadline=None)
@example(text=CLASH)
@given(text=clashing_specs())
def test_duplicate_prompts_match_full_expansion(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = spec_file(Path(folder), "r.pspec", text)
        across, want = _clash_findings(path)
    assert across == want


def test_the_clash_generator_makes_real_duplicates() -> None:
    """The property above is not vacuous: such specs do share requests across prompts."""
    with tempfile.TemporaryDirectory() as folder:
        across, want = _clash_findings(spec_file(Path(folder), "r.pspec", CLASH))
    assert want == {"p1": "p0"} and across == want


_PIECES = ["a", " ", "\n", "\r\n", "{{ x }}", "{{x}}", "{{- x }}", "{{ x -}}", "{{ y }}",
           "{# c #}", "{% raw %}{{ q }}{% endraw %}", "\t", "{{ x }}\n", "é", "{{ prompt }}",
           "{%- if true %}t{% endif %}", "{{ range }}", "{{ 'lit' }}", "\n\n"]
_VALUES = st.sampled_from(["s", "", " a ", 1, 0, -1, 1.0, -0.0, 7.5, 1e20, True, False, None,
                           float("inf")])
_SOURCES = st.lists(st.sampled_from(_PIECES), min_size=1, max_size=6).map("".join)


@settings(max_examples=150, deadline=None)
@given(source=_SOURCES, ctx=st.fixed_dictionaries({"prompt": st.just("p")},
                                                  optional={"x": _VALUES, "y": _VALUES}))
def test_plain_templates_render_as_jinja_does(source: str, ctx: dict[str, object]) -> None:
    from promptspec.lint.rules import _render
    from promptspec.templates import compile_template

    try:
        want: str | None = compile_template(source).render(ctx)
    except Exception:
        want = None
    assert _render.render({}, source, ctx) == want


def test_most_templates_take_the_path_without_jinja() -> None:
    from promptspec.templates.plain import plain_pieces

    plain = [s for s in _PIECES if plain_pieces(s) is not None]
    assert len(plain) > len(_PIECES) // 2
    assert plain_pieces("a {{ x }} b") is not None


_PRINTED = ["s", "", " ", " a ", "a ", " a", "a", "\n", 1, "1", 1.0, -0.0, 0.0, True, "True",
            None, "None", 7.5]


@settings(max_examples=300, deadline=None)
@given(source=_SOURCES, field=st.sampled_from(["text", "callback"]), y=_VALUES)
def test_printed_keys_tell_values_apart_as_renders_do(source: str, field: str,
                                                      y: object) -> None:
    """Duplicate points skip renders when `printed_key` sees the renders apart: its keys
    must be equal exactly when the renders are."""
    from promptspec.lint.rules import _printed, _render
    from promptspec.params import STRIPPED_FIELDS

    ctx: dict[str, object] = {"prompt": "p", "y": y}
    key = _printed.printed_key(source, "x", field, ctx)
    if key is None:
        return
    renders, values = [], _PRINTED
    for v in values:
        out = _render.render({}, source, {**ctx, "x": v})
        assert out is not None  # a printed key is given only where nothing can fail
        renders.append(out.strip() if field in STRIPPED_FIELDS else out)
    for a, ra in zip(values, renders, strict=True):
        for b, rb in zip(values, renders, strict=True):
            assert (key(str(a)) == key(str(b))) == (ra == rb), (source, a, b, ra, rb)


@pytest.mark.parametrize(("text", "hint"), [
    ("a harbour --tiled_upscalev2", "; did you mean '--tiled_upscale_v2'?"),
    ("a harbour --MASK_PROMPT x", "; did you mean '--mask_prompt'?"),
    ("a harbour --zzzz", ""),
])
def test_an_unknown_flag_names_the_closest_known_one(text: str, hint: str) -> None:
    from promptspec.params.flags import scan

    (problem,) = [p for p in scan(text).problems if p.code == Code.UNKNOWN_FLAG]
    assert problem.message.endswith(f"(the API ignores it silently){hint}")
