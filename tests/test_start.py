"""A light start: `lint` imports only what the files in front of it need, `--version`
imports nothing, and the shortcuts taken for that agree with the long way round."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from jinja2 import meta

from promptspec.templates import env, template_info

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
    assert "ruamel.yaml" in yaml_only and "click" in yaml_only
    for absent in ("jinja2", "lark", "tomllib", "promptspec.expand", "promptspec.request",
                   "multiprocessing", "httpx"):
        assert absent not in yaml_only
    dsl_only = loaded(tmp_path, "lint", "--no-cache", "t.pspec")
    assert "lark" in dsl_only and "jinja2" in dsl_only
    assert "ruamel.yaml" not in dsl_only and "promptspec.expand" not in dsl_only
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
