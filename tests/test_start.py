"""A light start: `lint` imports only what the files in front of it need, `--version`
imports nothing, and the shortcuts taken for that agree with the long way round."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import TemplateSyntaxError, meta, nodes

from promptspec.templates import compile_template, env, render_template, template_info
from promptspec.templates.plain import SANDBOX_GLOBALS, plain_pieces

PROBE = """
import sys
from promptspec.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
mods = [m for m in ('jinja2', 'lark', 'ruamel.yaml', 'click', 'tomllib', 'promptspec.expand',
                    'promptspec.request', 'multiprocessing', 'httpx') if m in sys.modules]
sys.stderr.write('LOADED=' + ','.join(mods) + '\\n')
"""

PLAIN_YAML = "version: 1\ntune: 1\nprompts:\n  a:\n    text: a fox\n    steps: 30\n"
TEMPLATED_DSL = 'tune 1\n\nprompt a {\n  text = "a {{ prompt }}"\n}\n'
FILTERED_DSL = 'tune 1\n\nprompt a {\n  text = "a {{ prompt | upper }}"\n}\n'


def loaded(cwd: Path, *args: str) -> list[str]:
    r = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=cwd, capture_output=True,
                       text=True, timeout=60)
    line = next(x for x in r.stderr.splitlines() if x.startswith("LOADED="))
    return line[len("LOADED="):].split(",")


def test_lint_imports_only_what_the_files_need(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\n')
    (tmp_path / "plain.pspec.yaml").write_text(PLAIN_YAML)
    (tmp_path / "t.pspec").write_text(TEMPLATED_DSL)
    yaml_only = loaded(tmp_path, "lint", "--no-cache", "plain.pspec.yaml")
    assert "click" in yaml_only
    assert "ruamel.yaml" not in yaml_only  # the plainest YAML is read line by line
    block = PLAIN_YAML.replace("text: a fox", "text: |\n      a fox")  # a block scalar
    (tmp_path / "block.pspec.yaml").write_text(block)
    assert "ruamel.yaml" in loaded(tmp_path, "lint", "--no-cache", "block.pspec.yaml")
    for absent in ("jinja2", "lark", "tomllib", "promptspec.expand", "promptspec.request",
                   "multiprocessing", "httpx"):
        assert absent not in yaml_only
    dsl_only = loaded(tmp_path, "lint", "--no-cache", "t.pspec")
    assert "lark" in dsl_only and "jinja2" not in dsl_only  # text and names: read without it
    assert "ruamel.yaml" not in dsl_only and "promptspec.expand" not in dsl_only
    (tmp_path / "f.pspec").write_text(FILTERED_DSL)
    assert "jinja2" in loaded(tmp_path, "lint", "--no-cache", "f.pspec")
    assert loaded(tmp_path, "--version") == [""]


def test_version_answers_without_click(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "promptspec", "--version"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout == "promptspec, version 0.1.0\n"


@pytest.mark.parametrize("source", [
    "a {{ x }} b {{ y }}", "{{x}}{{x}}", "plain {", "{% for i in xs %}{{ i }}{% endfor %}",
    "{{ a.b }}", "{{ a|upper }}", "{% set q = 1 %}{{ q }} {{ r }}", "x {{ loop }}",
    "{{ range }} {{ dict }} {{ lipsum }} {{ self }} {{ caller }} {{ varargs }}",
    "{{ true }} {{ none }} {{ super }}", "{% raw %}{{ x }}{% endraw %}{{ y }}",
    "  {{- w -}}  {# c #}", "{{ 'lit' }} {{ 1 + n }}",
])
def test_names_of_plain_templates_are_jinjas(source: str) -> None:
    assert template_info(source).names == meta.find_undeclared_variables(env().parse(source))


@pytest.mark.parametrize("source", ["a fox", "a\r\nb\n", "a\n\n", "", "\n", "x\ry",
                                    " lead, tail  \n", "a\n\r\n"])
def test_plain_text_renders_as_jinja_renders_it(source: str) -> None:
    from promptspec.lint.rules._render import render

    assert render({}, source, {}) == env().from_string(source).render()


def test_the_configuration_is_read_only_when_it_can_hold_a_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project\nname = "p"\n')  # no table of ours
    (tmp_path / "plain.pspec.yaml").write_text(PLAIN_YAML)
    r = subprocess.run([sys.executable, "-m", "promptspec", "lint", "--format", "json",
                        "plain.pspec.yaml"], cwd=tmp_path, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0 and json.loads(r.stdout) == []
    (tmp_path / "pyproject.toml").write_text('[tool.promptspec\nselect = ["PS1"]\n')
    r = subprocess.run([sys.executable, "-m", "promptspec", "lint", "plain.pspec.yaml"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "invalid TOML" in r.stderr


def test_the_sandbox_defines_exactly_the_globals_the_plain_reader_knows() -> None:
    assert frozenset(env().globals) == SANDBOX_GLOBALS


def _jinja_pieces(source: str) -> list[tuple[bool, str, int]] | None:
    """jinja's own parse of `source` as plain pieces, or None when it holds more."""
    try:
        ast = env().parse(source)
    except TemplateSyntaxError:
        return None
    out: list[tuple[bool, str, int]] = []
    for node in ast.body:
        if not isinstance(node, nodes.Output):
            return None
        for child in node.nodes:
            if isinstance(child, nodes.TemplateData):
                out.append((False, child.data, child.lineno))
            elif isinstance(child, nodes.Name) and child.ctx == "load":
                out.append((True, child.name, child.lineno))
            else:
                return None
    return out


_PIECES = st.sampled_from(["{{", "}}", "{%", "%}", "{#", "#}", "{", "}", "-", "+", " ", "\n",
                           "\r\n", "\r", "\t", "\u2028", "x", "y_1", "true", "not", "é",
                           "1", ".", "|", "'", "a b", "{{ x }}", "{{y}}", "{{\nz\n}}"])


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.lists(_PIECES, max_size=14).map("".join))
def test_plain_templates_are_read_as_jinja_reads_them(source: str) -> None:
    """Whatever the plain reader accepts, jinja parses to the same pieces on the same lines,
    and renders to the same text; it never accepts what jinja refuses."""
    mine = plain_pieces(source)
    if mine is None:
        return
    theirs = _jinja_pieces(source)
    assert theirs is not None, source
    assert [p for p in mine] == [p for p in theirs if p[0] or p[1]], source
    values: dict[str, object] = {name: f"<{name}>" for is_name, name, _ in mine if is_name}
    rendered = "".join(str(values[t]) if is_name else t for is_name, t, _ in mine)
    assert rendered == env().from_string(source).render(values)
    for value in (None, True, 2.50, -0.0, 10**30, "\u2028"):
        typed = dict.fromkeys(values, value)
        assert render_template(source, typed) == env().from_string(source).render(typed)


@pytest.mark.parametrize(("size", "source"), [(600_000, "{{ x }}"), (600_000, "{{ x }}{{ x }}"),
                                              (1_500_000, "{{ x }}"), (10, "{{ y }}")])
def test_plain_renders_keep_the_sandbox_bounds_and_errors(size: int, source: str) -> None:
    """A template read without jinja renders, or fails, as the sandbox does."""
    from promptspec.templates.sandbox import render_bounded

    ctx = {"x": "a" * size}

    def outcome(render: Callable[[], str]) -> object:
        try:
            return len(render())
        except Exception as err:
            return (type(err).__name__, str(err))

    assert plain_pieces(source) is not None
    assert outcome(lambda: render_template(source, ctx)) == outcome(
        lambda: render_bounded(compile_template(source), ctx))


@pytest.mark.parametrize("source", ["a {{ x }} b", "{{x}}{{ y }}", "l1\nl2 {{\n  z }}\n",
                                    "a\r\n{{ x }}\r\n", "{ {{ x }} }", "}} {{ x }}"])
def test_common_templates_are_plain(source: str) -> None:
    assert plain_pieces(source) is not None
    assert list(plain_pieces(source) or ()) == _jinja_pieces(source)
