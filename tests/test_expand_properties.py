"""Property tests of expansion: count = product of axis sizes, one meaning for two syntaxes."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptspec import api

# (axis name, is an API parameter, a strategy of distinct values)
AXES: list[tuple[str, st.SearchStrategy[list[Any]]]] = [
    ("seed", st.lists(st.integers(0, 2**32), min_size=1, max_size=4, unique=True)),
    ("steps", st.lists(st.integers(0, 50), min_size=1, max_size=3, unique=True)),
    ("cfg_scale", st.lists(st.sampled_from([0, 1.5, 5, 7.5, 10, 15]), min_size=1, max_size=3,
                           unique_by=float)),
    ("mood", st.lists(st.sampled_from(["calm", "wild", "a \"quoted\" one", "naïve", "x: y"]),
                      min_size=1, max_size=3, unique=True)),
    ("num_images", st.lists(st.integers(1, 8), min_size=1, max_size=2, unique=True)),
]


def dsl_value(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False)


def yaml_value(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False)  # JSON scalars are YAML flow scalars


@st.composite
def specs(draw: st.DrawFn) -> tuple[list[tuple[str, list[Any]]], list[tuple[str, list[Any]]]]:
    chosen = draw(st.lists(st.sampled_from(range(len(AXES))), unique=True, max_size=4))
    axes = [(AXES[i][0], draw(AXES[i][1])) for i in chosen]
    zipped: list[tuple[str, list[Any]]] = []
    if draw(st.booleans()):
        n = draw(st.integers(1, 3))
        zipped = [("light", [f"light{i}" for i in range(n)]),
                  ("tune", draw(st.lists(st.integers(1, 10**6), min_size=n, max_size=n)))]
    return axes, zipped


def write_both(root: Path, axes: list[tuple[str, list[Any]]],
               zipped: list[tuple[str, list[Any]]]) -> None:
    text = "p {{ prompt }}" + "".join(
        f" {{{{ {n} }}}}" for n, _ in axes + zipped if n not in ("tune",))
    dsl = ["tune 42", "prompt p {", f"  text = {dsl_value(text)}"]
    yml = ["version: 1", "tune: 42", "prompts:", "  p:", f"    text: {yaml_value(text)}"]
    if axes:
        dsl.append("  sweep {")
        dsl += [f"    {n} = [{', '.join(dsl_value(v) for v in vs)}]" for n, vs in axes]
        dsl.append("  }")
        yml.append("    sweep:")
        yml += [f"      {n}: [{', '.join(yaml_value(v) for v in vs)}]" for n, vs in axes]
    if zipped:
        dsl.append("  zip {")
        dsl += [f"    {n} = [{', '.join(dsl_value(v) for v in vs)}]" for n, vs in zipped]
        dsl.append("  }")
        yml.append("    zip:")
        yml += [f"      {n}: [{', '.join(yaml_value(v) for v in vs)}]" for n, vs in zipped]
    dsl.append("}")
    (root / "s.pspec").write_text("\n".join(dsl) + "\n")
    (root / "s.pspec.yaml").write_text("\n".join(yml) + "\n")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_count_is_the_product_and_syntaxes_agree(
    spec: tuple[list[tuple[str, list[Any]]], list[tuple[str, list[Any]]]],
) -> None:
    axes, zipped = spec
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "pyproject.toml").write_text("[project]\nname = 't'\n")
        write_both(root, axes, zipped)
        dsl = list(api.expand([str(root / "s.pspec")]))
        yml = list(api.expand([str(root / "s.pspec.yaml")]))
        sizes = [len(vs) for _, vs in axes] + ([len(zipped[0][1])] if zipped else [])
        assert len(dsl) == math.prod(sizes)
        (counted,) = api.count([str(root / "s.pspec")])
        assert counted[2] == len(dsl)
        assert [r.id for r in dsl] == [r.id for r in yml]
        assert [r.coords for r in dsl] == [r.coords for r in yml]
        assert [r.index for r in dsl] == list(range(len(dsl)))
        assert len({r.id for r in dsl}) == len(dsl)  # distinct values: distinct requests
        if axes:  # the last axis varies fastest
            last, values = axes[-1] if not zipped else zipped[0]
            assert [r.coords[last] for r in dsl[: len(values)]] == [
                float(v) if last == "cfg_scale" else v for v in values
            ]
