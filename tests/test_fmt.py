"""`promptspec fmt`: golden layouts, idempotence, comments, line endings, the command line.

Golden files live in tests/fmt_cases (`*.in.pspec` -> `*.out.pspec`); regenerate them only
with `pytest --update-golden` (which then checks nothing) and review their diff like code.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
from conftest import invoke_in
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptspec import api
from promptspec.format.convert import convert_text
from promptspec.format.fmt import format_text
from promptspec.params import PARAMS

CASES = Path(__file__).parent / "fmt_cases"
INPUTS = sorted(CASES.glob("*.in.pspec"))


def fmt(text: str) -> str:
    out, error = format_text(text, "t.pspec")
    assert error is None, str(error)
    assert out is not None
    return out


def comment_texts(text: str) -> list[str]:
    """Every `# ...` outside strings, by a tiny scan good enough for the generated specs."""
    found = []
    for line in text.split("\n"):
        m = re.search(r'^(?:[^"#]|"(?:\\.|[^"\\])*")*(#.*)$', line)
        if m:
            found.append(m.group(1).rstrip())
    return sorted(found)


@pytest.mark.parametrize("case", INPUTS, ids=lambda p: p.name.removesuffix(".in.pspec"))
def test_golden(case: Path, update_golden: bool) -> None:
    expected_path = case.with_name(case.name.replace(".in.", ".out."))
    got = fmt(case.read_text(encoding="utf-8"))
    if update_golden:
        expected_path.write_text(got, encoding="utf-8")
        pytest.skip(f"rewrote {expected_path.name}")
    assert got == expected_path.read_text(encoding="utf-8")
    assert fmt(got) == got  # the canonical layout is a fixed point


def test_golden_cases_exist() -> None:
    assert len(INPUTS) >= 5
    for case in INPUTS:
        assert case.with_name(case.name.replace(".in.", ".out.")).is_file()


def test_comments_all_kept_in_golden() -> None:
    for case in INPUTS:
        text = case.read_text(encoding="utf-8")
        assert comment_texts(fmt(text)) == comment_texts(text), case.name


def test_crlf_and_bom_are_kept() -> None:
    text = "\ufeffprompt a {\r\n    text =  \"x\"  # c\r\n}\r\n"
    assert fmt(text) == '\ufeffprompt a {\r\n  text = "x"  # c\r\n}\r\n'


def test_blank_lines_at_most_one_and_top_blocks_separated() -> None:
    text = (
        'tune 1\nprompt a {\n\n\n  text = "x"\n\n\n\n  seed = 1\n\n}\nprompt b {\n  text = "y"\n}\n'
    )
    assert fmt(text) == (
        'tune 1\n\nprompt a {\n  text = "x"\n\n  seed = 1\n}\n\nprompt b {\n  text = "y"\n}\n'
    )


def test_block_string_value_kept() -> None:
    text = 'prompt a {\n  text = """\n      x\n        y\n\n      z\n   """\n}\n'
    out = fmt(text)
    assert out == 'prompt a {\n  text = """\n    x\n      y\n\n    z\n  """\n}\n'


def test_comment_inside_random_moves_before_its_statement() -> None:
    text = "prompt a {\n  sweep {\n    seed = random(4, # n\n      7)\n  }\n}\n"
    assert "    # n\n    seed = random(4, 7)\n" in fmt(text)


def test_syntax_error_is_reported_not_formatted() -> None:
    out, error = format_text("prompt a {\n  text = \n}\n", "bad.pspec")
    assert out is None and error is not None
    assert str(error).startswith("bad.pspec:2:") and error.code == "PS001"


# -- command line ------------------------------------------------------------------------------


MESSY = 'tune 1\nprompt a{\n text="x"   # why\n}\n'
CLEAN = 'tune 1\n\nprompt a {\n  text = "x"  # why\n}\n'


def test_cli_check(tmp_path: Path) -> None:
    (tmp_path / "a.pspec").write_text(MESSY)
    (tmp_path / "b.pspec").write_text(CLEAN)
    code, out, err = invoke_in(tmp_path, ["fmt", "--check"])
    assert code == 1 and out == ""
    assert "would reformat a.pspec" in err and "b.pspec" not in err
    assert (tmp_path / "a.pspec").read_text() == MESSY
    (tmp_path / "a.pspec").write_text(CLEAN)
    assert invoke_in(tmp_path, ["fmt", "--check"])[0] == 0


def test_cli_diff(tmp_path: Path) -> None:
    (tmp_path / "a.pspec").write_text(MESSY)
    code, out, _ = invoke_in(tmp_path, ["fmt", "--diff", "a.pspec"])
    assert code == 1
    assert out.startswith("--- a.pspec\n+++ a.pspec\n@@")
    assert '+  text = "x"  # why\n' in out and '- text="x"   # why\n' in out
    assert (tmp_path / "a.pspec").read_text() == MESSY


def test_cli_rewrites_in_place_and_skips_hidden_and_yaml(tmp_path: Path) -> None:
    (tmp_path / "a.pspec").write_text(MESSY)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.pspec").write_text(CLEAN)
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "c.pspec").write_text(MESSY)
    (tmp_path / "d.pspec.yaml").write_text("tune:   1\n")
    code, out, err = invoke_in(tmp_path, ["fmt"])
    assert code == 0 and out == ""
    assert "1 file reformatted, 1 unchanged" in err
    assert (tmp_path / "a.pspec").read_text() == CLEAN
    assert (tmp_path / ".hidden" / "c.pspec").read_text() == MESSY
    code, _, err = invoke_in(tmp_path, ["fmt", "d.pspec.yaml"])
    assert code == 0 and "skipped" in err
    assert (tmp_path / "d.pspec.yaml").read_text() == "tune:   1\n"


def test_cli_file_that_does_not_parse(tmp_path: Path) -> None:
    bad = "prompt a {\n  text = \n}\n"
    (tmp_path / "bad.pspec").write_text(bad)
    (tmp_path / "a.pspec").write_text(MESSY)
    code, out, err = invoke_in(tmp_path, ["fmt"])
    assert code == 1
    assert re.search(r"^bad\.pspec:2:\d+: PS001 ", err, re.M)
    assert "Traceback" not in err + out
    assert (tmp_path / "bad.pspec").read_text() == bad
    assert (tmp_path / "a.pspec").read_text() == CLEAN


def test_cli_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = invoke_in(tmp_path, ["fmt", "nope.pspec"])
    assert code == 2 and "nope.pspec" in err


# -- properties --------------------------------------------------------------------------------

NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True).filter(
    # vars only: never a keyword, an API parameter or a name templates get for free
    lambda s: s not in {"true", "false", "null", "random", "file", "step", "count", "tune",
                        "prompt"} | set(PARAMS)
)
WORDS = st.text(alphabet=st.sampled_from("abc xyz\"\\\t7:#é"), max_size=12)
SPACES = st.sampled_from(["", " ", "  ", "\t"])
COMMENT = st.from_regex(r"# [a-z ]{0,10}", fullmatch=True).map(str.rstrip)


@st.composite
def messy_spec(draw: st.DrawFn) -> str:
    """A valid DSL spec, written messily, with comments sprinkled over it."""

    def sp() -> str:
        return draw(SPACES)

    def maybe_comment(own: bool, pad: str = "") -> str:
        if not draw(st.booleans()):
            return ""
        c = draw(COMMENT)
        return f"{pad}{c}\n" if own else f"  {c}"

    def q(s: str) -> str:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t") + '"'

    var_names = draw(st.lists(NAMES, min_size=1, max_size=3, unique=True))
    lines = [maybe_comment(True), f"tune{sp()} {draw(st.integers(1, 99999))}\n"]
    lines.append(f"vars{sp()}{{{maybe_comment(False)}\n")
    for v in var_names:
        lines.append(maybe_comment(True, "  "))
        lines.append(f"{sp()}{v}{sp()}={sp()}{q(draw(WORDS))}{maybe_comment(False)}\n")
        if draw(st.booleans()):
            lines.append("\n\n")
    lines.append("}\n")
    for i in range(draw(st.integers(1, 2))):
        lines.append(maybe_comment(True))
        lines.append(f"prompt{sp()} p{i} {{{maybe_comment(False)}\n")
        words = " ".join("{{ " + v + " }}" for v in var_names)
        if draw(st.booleans()):
            lines.append(f'  text = """\n{sp()}   hello {words}\n\n      end\n   """\n')
        else:
            lines.append(f"  text={q('hi ' + words)}{maybe_comment(False)}\n")
        lines.append(f"  num_images ={sp()}{draw(st.integers(1, 8))}\n")
        lines.append(f"  sweep {{{maybe_comment(False)}\n")
        seeds = draw(st.lists(st.integers(0, 1000), min_size=1, max_size=4, unique=True))
        lines.append(f"  seed = [{sp()}{(','+sp()).join(map(str, seeds))}]{maybe_comment(False)}\n")
        if draw(st.booleans()):
            lines.append(f"  cfg_scale = {draw(st.integers(0, 5))}..{sp()}9 step 1.5\n")
        axis = var_names[0]
        values = draw(st.lists(WORDS, min_size=1, max_size=3))
        lines.append(f"  {axis} = [\n{maybe_comment(True, '    ')}")
        lines += [f"   {q(v)},{maybe_comment(False)}\n" for v in values]
        lines.append(f"  ]\n{maybe_comment(True, '  ')}  }}\n}}{maybe_comment(False)}\n")
    return "".join(lines)


def request_ids(text: str, name: str) -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return [r.id for r in api.expand([path])]


PROPS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(messy_spec())
def test_fmt_is_idempotent_and_keeps_comments(text: str) -> None:
    once = fmt(text)
    assert fmt(once) == once
    assert comment_texts(once) == comment_texts(text)


@PROPS
@given(messy_spec())
def test_fmt_keeps_request_ids(text: str) -> None:
    ids = request_ids(text, "s.pspec")
    assert ids and request_ids(fmt(text), "s.pspec") == ids


@PROPS
@given(messy_spec())
def test_dsl_yaml_dsl_keeps_request_ids_and_comments(text: str) -> None:
    ids = request_ids(text, "s.pspec")
    yaml_text = convert_text(text, "s.pspec", "yaml")
    assert request_ids(yaml_text, "s.pspec.yaml") == ids
    back = convert_text(yaml_text, "s.pspec.yaml", "dsl")
    assert request_ids(back, "s.pspec") == ids
    assert comment_texts(back) == comment_texts(text)
    assert fmt(back) == back


@pytest.mark.parametrize("layout", ["\ufeff{}\n", "{}\r\n"])
def test_fmt_and_lint_place_a_syntax_error_alike(tmp_path: Path, layout: str) -> None:
    """One parse serves fmt's check and its output: a BOM or CRLF file's PS001 stands where
    lint puts it."""
    (tmp_path / "a.pspec").write_bytes(layout.format("tune 1 }").encode())
    _, _, fmt_out = invoke_in(tmp_path, ["fmt", "--check", "a.pspec"])
    _, lint_out, _ = invoke_in(tmp_path, ["lint", "--no-cache", "a.pspec"])
    where = "a.pspec:1:8: PS001"
    assert where in fmt_out and where in lint_out
