"""Lint speed, as ratios measured in one run (prints figures; not a test).

1. `promptspec lint` of 1,000 YAML specs (~2.5 KB each, some with planted errors) vs
   `check-jsonschema --schemafile <promptspec schema>` on the same files: on one core
   without the cache (`--no-cache --jobs 1`), then with `--jobs 2` and an empty cache
   (cold), a full cache (warm), and a full cache after one file changed (touched). The
   findings of every run are compared: they must be identical. The same 1,000 specs in
   the DSL are linted too, for reference.
2. Lint of one spec whose sweep has 10^12 points vs the same spec with one value per axis
   (in process, CPU time), and vs a spec without a sweep, for reference.
3. Start-up: `promptspec lint` of one YAML spec (no cache, and with a full cache) vs
   `python -c 'import ruamel.yaml, jinja2, click'`, and `promptspec --version` vs
   `python -c pass` (medians of several runs, taken in turns).

Targets: (1) cold <= 0.2x, warm <= 0.05x, touched close to warm (wall-clock ratios; the
CPU time of each run, its workers' included, is printed beside: steadier on a busy
machine); (2) <= 1.1x;
(3) lint <= 1.15x, --version <= 2.5x.

    python benchmarks/bench_lint.py [--files N] [--runs N] [--jobs N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
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


CPU: dict[float, float] = {}
"""The CPU time (user + system, its worker processes' too) of each run `timed` timed, by
its wall time: steadier than the wall time on a busy machine."""


def timed(cmd: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=ENV)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU[wall] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, r


def median_of(runs: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench_many(work: Path, n: int, jobs: int) -> None:
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
    ps = [str(BIN / "promptspec"), "lint", "--format", "json"]
    cache = work / ".promptspec_cache"
    t_cj, r_cj = timed([str(BIN / "check-jsonschema"), "--schemafile", str(schema), *files],
                       work)
    t_one, r_one = timed([*ps, "--no-cache", "--jobs", "1", "yaml"], work)
    shutil.rmtree(cache, ignore_errors=True)
    t_cold, r_cold = timed([*ps, "--jobs", str(jobs), "yaml"], work)
    t_warm, r_warm = timed([*ps, "--jobs", str(jobs), "yaml"], work)
    touched = ydir / "s0500.pspec.yaml"
    touched.write_text(touched.read_text().replace("mood: calm", "mood: quiet"))
    t_touch, r_touch = timed([*ps, "--jobs", str(jobs), "yaml"], work)
    _, r_again = timed([*ps, "--no-cache", "--jobs", "1", "yaml"], work)
    t_dsl, r_dsl = timed([str(BIN / "promptspec"), "lint", "--statistics", "--no-cache",
                          "--jobs", str(jobs), "dsl"], work)
    same = (r_one.stdout == r_cold.stdout == r_warm.stdout and r_touch.stdout == r_again.stdout
            and len({r.returncode for r in (r_one, r_cold, r_warm, r_touch, r_again)}) == 1)
    found = len(json.loads(r_one.stdout))
    cj_failed = r_cj.stdout.count(".pspec.yaml")
    print(f"(1) {n} YAML specs, {size / 1024:.1f} KB each, {planted} with a planted error")
    print(f"    check-jsonschema                {t_cj:6.2f} s  exit {r_cj.returncode}; "
          f"~{cj_failed} lines naming failing files (CPU {CPU[t_cj]:.2f} s)")
    for label, t in (("lint --no-cache --jobs 1", t_one),
                     (f"lint --jobs {jobs}, cold cache", t_cold),
                     (f"lint --jobs {jobs}, warm cache", t_warm),
                     (f"lint --jobs {jobs}, one touched", t_touch)):
        print(f"    {label:<32}{t:6.2f} s  ratio {t / t_cj:.3f}  (CPU {CPU[t]:5.2f} s, "
              f"ratio {CPU[t] / CPU[t_cj]:.3f})")
    print(f"    findings: {found} ({r_one.stderr.strip()}), exit {r_one.returncode}; "
          f"identical in every run: {'yes' if same else 'NO'}")
    print("    targets: cold <= 0.2, warm <= 0.05, touched close to warm")
    print(f"    the same specs in the DSL, --no-cache --jobs {jobs}: {t_dsl:.2f} s "
          f"(ratio {t_dsl / t_cj:.3f}; {r_dsl.stderr.strip()})")


def bench_sweep(work: Path, runs: int) -> None:
    from promptspec.lint.engine import lint_paths

    root = work / "sweep"
    root.mkdir()
    (root / "pyproject.toml").write_text("")
    head = ('tune 1\n\nvars {\n  a = 1\n  b = 1\n  c = 1\n  d = 1\n}\n\nprompt big {\n'
            '  text = "a fox {{ a }} {{ b }} {{ c }} {{ d }}"\n')
    sweep = ("  sweep {\n    seed = 1..%s\n    cfg_scale = 0.1..%s step 0.1\n"
             "    a = 1..%s\n    b = 1..%s\n    c = 1..%s\n    d = 1..%s\n  }\n}\n")
    huge = root / "huge.pspec"
    huge.write_text(head + sweep % ("100", "10", "100", "100", "100", "100"))
    one = root / "one.pspec"  # the same spec, every axis one value: the cost of points alone
    one.write_text(head + sweep % ("1", "0.1", "1", "1", "1", "1"))
    bare = root / "bare.pspec"  # the smallest spec of that text: no sweep at all
    bare.write_text(head + "  seed = 1\n}\n")
    lint_paths([str(bare)])  # warm the imports and the parser
    t_huge, t_one, t_bare = cpu_in_turns(runs, [lambda p=p: lint_paths([str(p)])
                                                for p in (huge, one, bare)])
    found = [d.code for d in lint_paths([str(huge)]).diagnostics]
    print(f"(2) one spec of 10^12 points: {t_huge * 1000:.2f} ms CPU "
          f"({', '.join(found) or 'clean'}); the same spec at one point: {t_one * 1000:.2f} ms")
    print(f"    ratio = {t_huge / t_one:.2f}  (target <= 1.1); against a spec without a "
          f"sweep ({t_bare * 1000:.2f} ms, fewer lines to parse): {t_huge / t_bare:.2f}")


def cpu_in_turns(runs: int, fns: list[Callable[[], object]]) -> list[float]:
    """The CPU time of each of `fns` in this process: the best of `runs` rounds of twenty
    calls, the functions taken in turns so that drift hits all alike (on a busy machine
    the least time is the steadiest figure)."""
    best = [float("inf")] * len(fns)
    for _ in range(runs):
        for i, fn in enumerate(fns):
            t = time.process_time()
            for _ in range(20):
                fn()
            best[i] = min(best[i], (time.process_time() - t) / 20)
    return best


def run_child(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one child process."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - t, usage.ru_utime + usage.ru_stime


def medians(runs: int, cmds: dict[str, list[str]], cwd: Path
            ) -> tuple[dict[str, float], dict[str, float]]:
    """Median wall and CPU times of each command, run in turns so that drift hits all alike
    (on a busy machine the CPU times are the steadier figure)."""
    for cmd in cmds.values():  # warm the file cache and the bytecode
        run_child(cmd, cwd)
    wall: dict[str, list[float]] = {k: [] for k in cmds}
    cpu: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(runs):
        for k, cmd in cmds.items():
            w, c = run_child(cmd, cwd)
            wall[k].append(w)
            cpu[k].append(c)
    return ({k: statistics.median(v) for k, v in wall.items()},
            {k: statistics.median(v) for k, v in cpu.items()})


def bench_start(work: Path, runs: int) -> None:
    one = work / "one"
    one.mkdir()
    (one / "pyproject.toml").write_text('[project]\nname = "one"\n')
    (one / "one.pspec.yaml").write_text(spec_pair(1, random.Random(1), False)[0])
    py = sys.executable
    t, c = medians(runs, {
        "lint": [py, "-m", "promptspec", "lint", "--no-cache", "one.pspec.yaml"],
        "lint-cached": [py, "-m", "promptspec", "lint", "one.pspec.yaml"],
        "imports": [py, "-c", "import ruamel.yaml, jinja2, click"],
        "version": [str(BIN / "promptspec"), "--version"],
        "pass": [py, "-c", "pass"],
    }, one)
    ms = {k: v * 1000 for k, v in t.items()}
    print(f"(3) start-up, medians of {runs} runs taken in turns (wall; CPU in brackets):")
    print(f"    lint of one YAML spec, --no-cache {ms['lint']:5.0f} ms; with its cache "
          f"{ms['lint-cached']:4.0f} ms; import ruamel.yaml+jinja2+click {ms['imports']:4.0f} ms")
    print(f"    ratio lint / imports = {t['lint'] / t['imports']:.2f} "
          f"[{c['lint'] / c['imports']:.2f}] (with its cache: "
          f"{t['lint-cached'] / t['imports']:.2f}"
          f" [{c['lint-cached'] / c['imports']:.2f}])  (target <= 1.15)")
    print(f"    promptspec --version {ms['version']:4.0f} ms; python -c pass {ms['pass']:4.0f} ms;"
          f" ratio = {t['version'] / t['pass']:.2f} [{c['version'] / c['pass']:.2f}]"
          "  (target <= 2.5)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", choices=["many", "sweep", "start"])
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-lint-"))
    try:
        if args.only in (None, "many"):
            bench_many(work, args.files, args.jobs)
        if args.only in (None, "sweep"):
            bench_sweep(work, args.runs)
        if args.only in (None, "start"):
            bench_start(work, args.runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
