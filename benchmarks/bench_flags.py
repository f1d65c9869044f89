"""Lint speed of flags, tokens and families (section 5b), as a ratio measured in one run.

Lint of one spec whose sweep has 10^12 points, with texts carrying flags and tokens (some
of them supplied by swept vars) and a sweep over `tune` (two model families), vs the same
spec with one value per axis (in process; prints figures, not a test). Target: within 2x.

    python benchmarks/bench_flags.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

TEXT = ('"<lora:{{ lora }}:0.7> ohwx woman, {{ scene }} --resemblance {{ r }} '
        '--mask_prompt shirt {{ extra }} --outpaint center --controlnets pose, canny '
        '--controlnet_weights 0.5, 0.8"')
AXES = {  # name -> (the 10^12-point sweep's values, the one-point spec's value)
    "tune": ("[1504944, 666678]", "[1504944]"),
    "seed": ("1..1000", "[1]"),
    "cfg_scale": ("0.1..10 step 0.1", "[7.5]"),
    "scene": ('["a harbour", "a forest <faceid:12:1> man", "a city --hires_cfg_scale 4"]',
              '["a harbour"]'),
    "lora": ("1..100", "[1]"),
    "r": ("0.01..1 count 100", "[0.5]"),
    "extra": ('["--upscale_v4", "--tiled_upscale", "", "--remove_background"]',
              '["--upscale_v4"]'),
    "steps": ("1..50", "[30]"),
    "backend_version": ("[0, 1]", "[1]"),
    "num_images": ("1..4", "[1]"),
    "aspect_ratio": ('["1:1", "2:3", "3:2", "16:9", "9:16"]', '["1:1"]'),
    "style": ('["Cinematic", "Animated", "Enhance", "Lowpoly"]', '["Cinematic"]'),
}


def spec(which: int) -> str:
    """The spec (0: the huge sweep, 1: the same spec at one point)."""
    axes = "\n".join(f"    {name} = {values[which]}" for name, values in AXES.items())
    return (f"tune 1504944\n\nprompt big {{\n  text = {TEXT}\n"
            f'  input_image_url = "https://example.com/p.png"\n  sweep {{\n{axes}\n  }}\n}}\n')


def median_of(runs: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    from promptspec.lint.engine import lint_paths
    from promptspec.lint.rules._value_sets import PromptView
    from promptspec.resolve import resolve

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "pyproject.toml").write_text("")
        huge, one = root / "huge.pspec", root / "one.pspec"
        huge.write_text(spec(0))
        one.write_text(spec(1))
        points = PromptView(resolve(str(huge)).prompts[0]).count
        lint_paths([str(one)])  # warm the imports and the parser
        t_huge = median_of(args.runs, lambda: lint_paths([str(huge)]))
        t_one = median_of(args.runs, lambda: lint_paths([str(one)]))
        found = sorted({d.code for d in lint_paths([str(huge)]).diagnostics})
        print(f"one spec of {points:.2e} points with flags and tokens in its texts: "
              f"{t_huge * 1000:.1f} ms (findings: {', '.join(found) or 'none'}); "
              f"one point: {t_one * 1000:.1f} ms")
        print(f"ratio = {t_huge / t_one:.2f}  (target within 2x)")


if __name__ == "__main__":
    main()
