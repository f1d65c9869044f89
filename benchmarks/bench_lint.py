"""Lint speed, as ratios measured in one run (prints figures; not a test).

1. `promptspec lint` of 1,000 YAML specs (~2.5 KB each, some with planted errors) in one
   process vs `check-jsonschema --schemafile <promptspec schema>` on the same files; the
   same 1,000 specs in the DSL are linted too, for reference.
2. Lint of one spec whose sweep has 10^12 points vs a one-point spec (in process).
3. The cold start of `promptspec lint` on one file vs
   `python -c 'import ruamel.yaml, lark, jinja2, click'` (median of several runs).

Targets: (1) below 1, (2) within 2x, (3) within 1.5x.

    python benchmarks/bench_lint.py [--files N] [--runs N]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BIN = Path(sys.executable).parent
ARTISTS = ["Van Gogh", "Monet", "Vermeer", "Hokusai", "Klimt", "Turner", "Cezanne", "Goya"]
PLANTED = [  # (YAML line, DSL line) in place of `steps = 30`: one single-field error each
    ("    steps: 75", "  steps = 75"),
    ("    w: 500", "  w = 500"),
    ("    colour: red", '  colour = "red"'),
    ('    aspect_ratio: "2:7"', '  aspect_ratio = "2:7"'),
    ("    scheduler: fast", '  scheduler = "fast"'),
]


def text(p: int) -> str:
    return '"a painting of {{ subject }}, {{ mood }}, no. ' + str(p) + ', after {{ artist }}"'


def spec_pair(i: int, rng: random.Random, planted: bool) -> tuple[str, str]:
    """One spec in both syntaxes (~2.5 KB as YAML)."""
    y = ["version: 1", f"tune: {1000 + i}", "vars:", "  subject: ohwx man",
         "  mood: calm", "presets:",
         "  base:", '    negative_prompt: "old, blemish, wrinkles, mole, blurry, low quality"',
         "    super_resolution: true", "    face_correct: true", "    film_grain: false",
         "  portrait:", "    extends: base", '    aspect_ratio: "2:3"',
         "    inpaint_faces: true", "    scheduler: dpm++2m_karras", "prompts:"]
    d = [f"tune {1000 + i}", "", "vars {", '  subject = "ohwx man"', '  mood = "calm"', "}", "",
         "preset base {", '  negative_prompt = "old, blemish, wrinkles, mole, blurry, low quality"',
         "  super_resolution = true", "  face_correct = true", "  film_grain = false", "}", "",
         "preset portrait : base {", '  aspect_ratio = "2:3"', "  inpaint_faces = true",
         '  scheduler = "dpm++2m_karras"', "}", ""]
    bad = rng.randrange(8) if planted else -1
    for p in range(8):
        artists = rng.sample(ARTISTS, 3)
        steps_y, steps_d = PLANTED[(i + i // 10) % len(PLANTED)] if p == bad else (
            "    steps: 30", "  steps = 30")
        y += [f"  p{p}:", "    extends: portrait",
              f"    text: {text(p)}",
              f"    num_images: {1 + p % 4}", steps_y,
              "    sweep:", f"      seed: 1..{2 + p}", f"      artist: [{', '.join(artists)}]",
              "      cfg_scale: [5, 7.5]"]
        d += [f"prompt p{p} : portrait {{",
              f"  text = {text(p)}",
              f"  num_images = {1 + p % 4}", steps_d,
              "  sweep {", f"    seed = 1..{2 + p}",
              "    artist = [" + ", ".join(f'"{a}"' for a in artists) + "]",
              "    cfg_scale = [5, 7.5]", "  }", "}", ""]
    return "\n".join(y) + "\n", "\n".join(d) + "\n"


# An installed package runs from bytecode: let the warm-up runs write it even where the
# environment says not to (else every start compiles promptspec from source).
ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE",
                                                        "GITHUB_ACTIONS")}


def timed(cmd: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    t = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=ENV)
    return time.perf_counter() - t, r


def median_of(runs: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench_many(work: Path, n: int) -> None:
    rng = random.Random(7)
    (work / "pyproject.toml").write_text('[project]\nname = "bench"\n')
    ydir, ddir = work / "yaml", work / "dsl"
    ydir.mkdir()
    ddir.mkdir()
    planted = 0
    for i in range(n):
        plant = i % 10 < 3
        planted += plant
        y, d = spec_pair(i, rng, plant)
        (ydir / f"s{i:04}.pspec.yaml").write_text(y)
        (ddir / f"s{i:04}.pspec").write_text(d)
    size = statistics.mean(p.stat().st_size for p in ydir.iterdir())
    schema = work / "schema.json"
    schema.write_text(subprocess.run([str(BIN / "promptspec"), "schema"], check=True,
                                     capture_output=True, text=True, env=ENV).stdout)
    files = sorted(str(p.relative_to(work)) for p in ydir.iterdir())
    t_lint, r_lint = timed([str(BIN / "promptspec"), "lint", "--statistics", "yaml"], work)
    t_dsl, r_dsl = timed([str(BIN / "promptspec"), "lint", "--statistics", "dsl"], work)
    t_cj, r_cj = timed([str(BIN / "check-jsonschema"), "--schemafile", str(schema), *files],
                       work)
    cj_failed = r_cj.stdout.count(".pspec.yaml")
    print(f"(1) {n} YAML specs, {size / 1024:.1f} KB each, {planted} with a planted error")
    print(f"    promptspec lint           {t_lint:6.2f} s  exit {r_lint.returncode}; "
          f"{r_lint.stderr.strip()}")
    print("    " + r_lint.stdout.strip().replace("\n", "\n    "))
    print(f"    check-jsonschema          {t_cj:6.2f} s  exit {r_cj.returncode}; "
          f"~{cj_failed} lines naming failing files")
    print(f"    ratio lint / check-jsonschema = {t_lint / t_cj:.2f}  (target < 1)")
    print(f"    the same specs in the DSL: {t_dsl:.2f} s ({r_dsl.stderr.strip()})")


def bench_sweep(work: Path, runs: int) -> None:
    from promptspec.lint.engine import lint_paths

    root = work / "sweep"
    root.mkdir()
    (root / "pyproject.toml").write_text("")
    huge = root / "huge.pspec"
    huge.write_text(
        'tune 1\n\nvars {\n  a = 1\n  b = 1\n  c = 1\n  d = 1\n}\n\nprompt big {\n'
        '  text = "a fox {{ a }} {{ b }} {{ c }} {{ d }}"\n  sweep {\n    seed = 1..100\n'
        "    cfg_scale = 0.1..10 step 0.1\n    a = 1..100\n    b = 1..100\n"
        "    c = 1..100\n    d = 1..100\n  }\n}\n")
    one = root / "one.pspec"
    one.write_text('tune 1\n\nvars {\n  a = 1\n  b = 1\n  c = 1\n  d = 1\n}\n\nprompt big {\n'
                   '  text = "a fox {{ a }} {{ b }} {{ c }} {{ d }}"\n  seed = 1\n}\n')
    lint_paths([str(one)])  # warm the imports and the parser
    t_huge = median_of(runs, lambda: lint_paths([str(huge)]))
    t_one = median_of(runs, lambda: lint_paths([str(one)]))
    found = [d.code for d in lint_paths([str(huge)]).diagnostics]
    print(f"(2) one spec of 10^12 points: {t_huge * 1000:.1f} ms ({', '.join(found) or 'clean'})"
          f"; one point: {t_one * 1000:.1f} ms")
    print(f"    ratio = {t_huge / t_one:.2f}  (target within 2x)")


def bench_start(work: Path, runs: int) -> None:
    spec = work / "sweep" / "one.pspec"
    lint_cmd = [sys.executable, "-m", "promptspec", "lint", str(spec)]
    base_cmd = [sys.executable, "-c", "import ruamel.yaml, lark, jinja2, click"]
    for cmd in (lint_cmd, base_cmd):  # warm the file cache and bytecode
        subprocess.run(cmd, capture_output=True, env=ENV)
    t_lint = median_of(runs, lambda: subprocess.run(lint_cmd, capture_output=True, env=ENV))
    t_base = median_of(runs, lambda: subprocess.run(base_cmd, capture_output=True, env=ENV))
    print(f"(3) cold start: promptspec lint one file {t_lint * 1000:.0f} ms; "
          f"import ruamel.yaml+lark+jinja2+click {t_base * 1000:.0f} ms (median of {runs})")
    print(f"    ratio = {t_lint / t_base:.2f}  (target within 1.5x)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-lint-"))
    try:
        bench_many(work, args.files)
        bench_sweep(work, args.runs)
        bench_start(work, args.runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
