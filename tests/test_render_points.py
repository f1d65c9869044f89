"""The points lint renders templates at: every distinct combination of the values a template
reads within a file's render budget, naming the point where `expand` fails first; only past
the budget are long axes sampled."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from conftest import write

from promptspec.errors import SpecError
from promptspec.expand import expand_prompt, prepare
from promptspec.lint.rules import _render, check
from promptspec.lint.rules._points import RENDER_BUDGET
from promptspec.resolve import resolve

CASES = Path(__file__).resolve().parent / "rule_cases"
_AT = re.compile(r" at (\{.*?\}): ")


def _lint_points(path: Path) -> dict[str, dict[str, object]]:
    """Prompt -> the point its PS301 names."""
    out: dict[str, dict[str, object]] = {}
    for d in check(resolve(str(path))):
        if d.code == "PS301" and d.prompt is not None:
            m = _AT.search(d.message)
            assert m is not None, d.message
            out[d.prompt] = ast.literal_eval(m.group(1))
    return out


def _expand_points(path: Path) -> dict[str, dict[str, object]]:
    """Prompt -> the point at which expanding it fails."""
    res = resolve(str(path))
    out: dict[str, dict[str, object]] = {}
    for rp in res.prompts:
        try:
            for _ in expand_prompt(prepare(rp, str(path), res.root)):
                pass
        except SpecError as err:
            m = re.search(r" at point \d+ (\(\{.*\}\))$", str(err))
            assert m is not None, str(err)
            out[rp.name] = ast.literal_eval(m.group(1))
    return out


def test_lint_names_the_point_where_expand_fails_first() -> None:
    path = CASES / "render_points.pspec"
    linted = _lint_points(path)
    expanded = _expand_points(path)
    assert set(linted) == set(expanded) == {"divides", "looks_up", "drawn", "zipped"}
    for prompt, point in linted.items():
        # lint names the axes the template reads; expand every axis of the point
        assert point.items() <= expanded[prompt].items(), (prompt, point, expanded[prompt])


def _divides_at(name: str, n: int, bad: int) -> str:
    return (f'prompt {name} {{\n  text = "a fox {{{{ 7 // (seed - {bad}) }}}}"\n'
            f"  sweep {{\n    seed = 1..{n}\n  }}\n}}\n\n")


def test_past_the_budget_a_long_axis_is_sampled(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    renders = 0
    real = _render.render_template

    def counted(source: str, ctx: dict[str, object]) -> str:
        nonlocal renders
        renders += 1
        return real(source, ctx)

    monkeypatch.setattr(_render, "render_template", counted)
    n = RENDER_BUDGET * 3 // 4  # two prompts of this many points do not both fit
    bad = n // 2  # no sample of 1..n: those are 1, n // 2 + 1 and n
    text = "tune 7\n\n" + _divides_at("first", n, bad) + _divides_at("second", n, bad)
    path = write(tmp_path, {"s.pspec": text}, pyproject="") / "s.pspec"
    found = {d.prompt: d.message for d in check(resolve(str(path))) if d.code == "PS301"}
    assert set(found) == {"first"}  # the second is sampled: the documented limit
    assert f"at {{'seed': {bad}}}" in found["first"]
    assert renders <= RENDER_BUDGET + 3
