"""`api.prompt_counts`: requests and images per prompt without enumerating, equal to what
expansion yields (its number of requests, the sum of their `num_images`), and None where
no count can be known."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptspec import api

SPECS = {
    "plain": 'tune 7\nprompt a {\n  text = "a fox"\n}\n',
    "fixed_images": 'tune 7\nprompt a {\n  text = "a fox"\n  num_images = 3\n'
                    "  sweep {\n    seed = 1..4\n    cfg_scale = [5, 7]\n  }\n}\n",
    "swept_images": 'tune 7\nprompt a {\n  text = "a fox"\n  sweep {\n    num_images = 1..4\n'
                    "    seed = [1, 2, 3]\n  }\n}\n",
    "random_images": 'tune 7\nprompt a {\n  text = "a fox"\n  sweep {\n'
                     "    num_images = random(3)\n    seed = [1, 2]\n  }\n}\n",
    "zipped_images": 'tune 7\nprompt a {\n  text = "a fox"\n  sweep {\n    seed = [1, 2]\n  }\n'
                     "  zip {\n    num_images = [2, 4, 6]\n    steps = [10, 20, 30]\n  }\n}\n",
    "preset_images": 'tune 7\npreset many {\n  num_images = 5\n}\nprompt a : many {\n'
                     '  text = "a fox"\n  sweep {\n    seed = 0..9\n  }\n}\n',
}


def _write(tmp_path: Path, name: str, text: str) -> str:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    path = tmp_path / f"{name}.pspec"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_counts_equal_expansion(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name, SPECS[name])
    result = api.lint([path])
    assert [d for d in result.diagnostics if d.severity == "error"] == []
    requests = list(api.expand([path]))
    images = sum(r.params.get("num_images", 1) for r in requests)
    assert api.prompt_counts(result.resolutions[0]) == {"a": (len(requests), images)}


def test_huge_sweeps_are_counted_not_enumerated(tmp_path: Path) -> None:
    path = _write(tmp_path, "huge", 'tune 7\nprompt a {\n  text = "a fox"\n  num_images = 2\n'
                                    "  sweep {\n    seed = 0..999999\n    steps = 1..50\n"
                                    "    cfg_scale = 0..15 step 0.001\n  }\n}\n")
    counts = api.prompt_counts(api.lint([path]).resolutions[0])
    assert counts == {"a": (1_000_000 * 50 * 15_001, 2 * 1_000_000 * 50 * 15_001)}


@pytest.mark.parametrize("axis", ["seed = []", "steps = 10..20 step -5", "seed = random(0)"])
def test_no_count_for_an_axis_without_values(tmp_path: Path, axis: str) -> None:
    path = _write(tmp_path, "bad", 'tune 7\nprompt a {\n  text = "a fox"\n  sweep {\n'
                                   f"    {axis}\n  }}\n}}\nprompt b {{\n  text = \"b\"\n}}\n")
    counts = api.prompt_counts(api.lint([path]).resolutions[0])
    assert counts == {"a": None, "b": (1, 1)}
