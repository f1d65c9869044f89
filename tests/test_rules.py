"""The rule checks: case files in tests/rule_cases, plus columns, messages, fixes and scale.

Each case file marks its findings with `# expect: CODES` on the line of each finding and
`# expect-file: CODES` for findings anywhere in the file; nothing else may be reported.
"""

from __future__ import annotations

import random
import re
import warnings
from pathlib import Path

import pytest

from promptspec.diagnostics import Diagnostic
from promptspec.errors import SpecError
from promptspec.expand import expand_prompt, prepare
from promptspec.lint.rules import check
from promptspec.resolve import resolve

CASES = Path(__file__).parent / "rule_cases"
CASE_FILES = sorted(p for p in CASES.iterdir()
                    if p.name.endswith((".pspec", ".pspec.yaml")))
_MARK = re.compile(r"#\s*(expect|expect-file):\s*(PS\d{3}(?:\s*,\s*PS\d{3})*)")


def lint(path: Path | str, max_requests: int = 1000) -> list[Diagnostic]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a crashing rule family fails the test
        return check(resolve(str(path)), max_requests=max_requests)


def expectations(path: Path) -> tuple[set[tuple[str, int]], set[str]]:
    lines: set[tuple[str, int]] = set()
    anywhere: set[str] = set()
    for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        for m in _MARK.finditer(text):
            codes = m.group(2).replace(" ", "").split(",")
            if m.group(1) == "expect":
                lines.update((c, n) for c in codes)
            else:
                anywhere.update(codes)
    return lines, anywhere


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.name for p in CASE_FILES])
def test_case_file(path: Path) -> None:
    want_lines, want_anywhere = expectations(path)
    found = {(d.code, d.span.line) for d in lint(path)}
    assert {f for f in found if f[0] not in want_anywhere} == want_lines
    assert want_anywhere <= {code for code, _ in found}


# -- places, messages, fixes -------------------------------------------------------------

def write(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "t"\n')
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


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


def test_sweep_item_column_and_bad_value_named(tmp_path: Path) -> None:
    path = write(tmp_path, "s.pspec", 'tune 7\nprompt a {\n  text = "x"\n  sweep {\n'
                                      "    seed = [1, -1, 2]\n  }\n}\n")
    d = only(lint(path), "PS103")
    assert (d.span.line, d.span.column, d.span.end_column) == (5, 16, 18)
    assert "-1" in d.message
    assert d.prompt == "a"


def test_range_finding_points_at_the_range_and_names_the_value(tmp_path: Path) -> None:
    path = write(tmp_path, "s.pspec", 'tune 7\nprompt a {\n  text = "x"\n  sweep {\n'
                                      "    cfg_scale = 10..20\n  }\n}\n")
    d = only(lint(path), "PS103")
    assert (d.span.line, d.span.column) == (5, 17)
    assert "20" in d.message


def test_zip_mismatch_points_at_the_zip_naming_lengths(tmp_path: Path) -> None:
    path = write(tmp_path, "z.pspec", 'tune 7\nprompt a {\n  text = "x"\n  zip {\n'
                                      "    seed = [1, 2]\n    steps = [5]\n  }\n}\n")
    d = only(lint(path), "PS401")
    assert (d.span.line, d.span.column) == (4, 3)
    assert "seed has 2" in d.message and "steps has 1" in d.message


def test_cross_field_finding_at_extends_names_the_preset(tmp_path: Path) -> None:
    path = write(tmp_path, "c.pspec", "tune 7\npreset portrait {\n  inpaint_faces = true\n}\n"
                                      'prompt a : portrait {\n  text = "x"\n}\n')
    d = only(lint(path), "PS201")
    assert (d.span.line, d.span.column) == (5, 12)
    assert "preset portrait at c.pspec:3:3" in d.message
    assert "super_resolution is not true" in d.message


def test_cross_field_finding_at_the_prompts_own_field(tmp_path: Path) -> None:
    path = write(tmp_path, "c.pspec", "tune 7\npreset portrait {\n  inpaint_faces = true\n}\n"
                                      'prompt a : portrait {\n  text = "x"\n'
                                      "  super_resolution = false\n}\n")
    d = only(lint(path), "PS201")
    assert (d.span.line, d.span.column) == (7, 3)
    assert "preset portrait" in d.message


def test_template_line_inside_multiline_string(tmp_path: Path) -> None:
    path = write(tmp_path, "t.pspec", 'tune 7\nprompt a {\n  text = """\n    first\n'
                                      '    second {{ nope }}\n    """\n}\n')
    d = only(lint(path), "PS302")
    assert (d.span.line, d.span.column) == (5, 5)
    assert "'nope'" in d.message


def test_duplicate_prompts_named_at_the_later(tmp_path: Path) -> None:
    path = write(tmp_path, "d.pspec", 'tune 7\nprompt a {\n  text = "x"\n  seed = 1\n}\n'
                                      'prompt b {\n  text = "x"\n  sweep {\n    seed = [2, 1]\n'
                                      "  }\n}\n")
    d = only(lint(path), "PS404")
    assert d.span.line == 6 and "'a'" in d.message


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
    path = write(tmp_path, name, text)
    d = only(lint(path), code)
    mended = apply(text, d)
    assert fixed in mended
    path.write_text(mended, encoding="utf-8")
    assert not [x for x in lint(path) if x.code == code]


def test_unfixable_findings_carry_no_fix(tmp_path: Path) -> None:
    path = write(tmp_path, "n.pspec", 'tune 7\nprompt a {\n  text = "x"\n  steps = 80\n'
                                      '  scheduler = "nope"\n}\n')
    assert all(d.fix is None for d in lint(path))


def test_findings_in_imported_files_belong_to_them(tmp_path: Path) -> None:
    write(tmp_path, "lib.pspec", "preset p {\n  steps = 99\n  seed = \"x\"\n}\n")
    path = write(tmp_path, "main.pspec", 'import "lib.pspec"\ntune 7\n'
                                         'prompt a : p {\n  text = "x"\n}\n')
    assert lint(path) == []


def test_max_requests_is_honoured(tmp_path: Path) -> None:
    path = write(tmp_path, "m.pspec", 'tune 7\nprompt a {\n  text = "x"\n  sweep {\n'
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
    path = write(tmp_path, "huge.pspec", HUGE)
    found = {(d.code, d.span.line) for d in lint(path)}
    assert found == {("PS403", 5), ("PS201", 9), ("PS101", 20)}


def test_a_huge_random_axis_stays_abstract(tmp_path: Path) -> None:
    path = write(tmp_path, "r.pspec", 'tune 7\nprompt a {\n  text = "x"\n  sweep {\n'
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


def _random_spec(rng: random.Random) -> str:
    """Prompts that each take every choice of the previous one with odds of one half."""
    out = ['tune 7\n\nvars {\n  artist = "Monet"\n  n = 1\n}\n']
    fields = (("text", _TEXTS, 1.0), ("seed", _AXIS_VALUES, 1.0), ("cfg_scale", _SCALES, 1.0),
              ("artist", _ARTISTS, 0.5), ("n", ["[1, 1.0]", "[2, 1]", "0..2"], 0.3))
    prev: dict[str, str | None] = {}
    for p in range(rng.randint(2, 4)):
        chosen = {name: prev[name] if prev and rng.random() < 0.5 else
                  (rng.choice(choices) if rng.random() < odds else None)
                  for name, choices, odds in fields}
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


def test_duplicate_prompts_match_full_expansion(tmp_path: Path) -> None:
    rng = random.Random(404)
    clashes = 0
    for i in range(150):
        path = write(tmp_path, f"r{i}.pspec", _random_spec(rng))
        found = lint(path)
        within = {d.prompt for d in found if d.code == "PS404" and ": " in d.message
                  and "yields" not in d.message}
        across = {d.prompt: d.message.split("prompt ")[2].split("'")[1] for d in found
                  if d.code == "PS404" and "yields the same request" in d.message}
        want = {p: o for p, o in _expanded_clashes(path).items() if p not in within}
        assert across == want, path.read_text()
        clashes += len(want)
    assert clashes > 20  # the generator makes real duplicates, not only near misses


def test_prompts_that_cannot_collide_are_not_expanded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from promptspec.lint.rules import _duplicates

    expanded: list[str] = []
    real = _duplicates._ids

    def counting(ctx: object, view: object) -> list[str] | None:
        expanded.append(view.name)  # type: ignore[attr-defined]
        return real(ctx, view)  # type: ignore[arg-type]

    monkeypatch.setattr(_duplicates, "_ids", counting)
    prompts = "".join(f'prompt p{i} {{\n  text = "a {{{{ artist }}}}, no. {i}"\n  sweep {{\n'
                      f'    seed = 1..{i + 2}\n    artist = ["Monet", "Goya"]\n  }}\n}}\n'
                      for i in range(8))
    path = write(tmp_path, "many.pspec", "tune 7\n" + prompts)
    assert not [d for d in lint(path) if d.code == "PS404"]
    assert expanded == []
    path = write(tmp_path, "two.pspec", 'tune 7\nprompt a {\n  text = "x"\n  seed = 3\n}\n'
                                        'prompt b {\n  text = "x"\n  sweep {\n'
                                        "    seed = 1..9 step 2\n  }\n}\n")
    assert only(lint(path), "PS404").prompt == "b"
    assert expanded == ["b", "a"]


def test_plain_templates_render_as_jinja_does() -> None:
    from promptspec.lint.rules import _render
    from promptspec.templates import compile_template

    pieces = ["a", " ", "\n", "\r\n", "{{ x }}", "{{x}}", "{{- x }}", "{{ x -}}", "{{ y }}",
              "{# c #}", "{% raw %}{{ q }}{% endraw %}", "\t", "{{ x }}\n", "é", "{{ prompt }}",
              "{%- if true %}t{% endif %}", "{{ range }}", "{{ 'lit' }}", "\n\n"]
    values = ["s", "", " a ", 1, 0, -1, 1.0, -0.0, 7.5, 1e20, True, False, None,
              float("inf")]
    rng = random.Random(8)
    plain = 0
    for _ in range(3000):
        source = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 6)))
        ctx: dict[str, object] = {"prompt": "p"}
        for name, odds in (("x", 0.9), ("y", 0.7)):
            if rng.random() < odds:
                ctx[name] = rng.choice(values)
        try:
            want: str | None = compile_template(source).render(ctx)
        except Exception:
            want = None
        assert _render.render({}, source, ctx) == want, (source, ctx)
        plain += _render._plain_parts(source) is not None
    assert plain > 1000  # most of them take the path without jinja


