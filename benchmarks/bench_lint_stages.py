"""Where lint time goes, per file, stage by stage (prints figures; not a test).

Generates the same ~2.5 KB specs as bench_lint.py (both syntaxes) and times, in process
and warm: loading (parse to the model), resolution, the rule checks with and without the
cross-prompt duplicate check, and the whole engine.

    python benchmarks/bench_lint_stages.py [--files 200] [--cpu] [--repeats 3] [--only load]

`--cpu` times in-process CPU (time.process_time) instead of wall-clock time: steadier on a
busy machine. `--only` keeps the stages whose label starts with the given word.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import bench_lint

from promptspec.lint import rules
from promptspec.lint.engine import lint_files
from promptspec.load import load
from promptspec.resolve import resolve

CLOCK: Callable[[], float] = time.perf_counter
REPEATS = 3
ONLY: str | None = None


def per_file(label: str, n: int, fn: Callable[[], object]) -> None:
    if ONLY is not None and not label.startswith(ONLY):
        return
    fn()
    best = float("inf")
    for _ in range(REPEATS):
        start = CLOCK()
        fn()
        best = min(best, CLOCK() - start)
    unit = "ms/file CPU" if CLOCK is time.process_time else "ms/file"
    print(f"{label:32s} {best / n * 1000:6.2f} {unit}")


def main() -> None:
    global CLOCK, REPEATS, ONLY
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--cpu", action="store_true", help="time in-process CPU, not wall clock")
    ap.add_argument("--repeats", type=int, default=3, help="best of this many runs")
    ap.add_argument("--only", help="only the stages whose label starts with this")
    args = ap.parse_args()
    n = args.files
    CLOCK = time.process_time if args.cpu else time.perf_counter
    REPEATS, ONLY = args.repeats, args.only
    work = Path(tempfile.mkdtemp(prefix="lint-stages-"))
    (work / "pyproject.toml").write_text("[project]\nname = 'bench'\n")
    rng = random.Random(1)
    yaml_paths: list[str] = []
    dsl_paths: list[str] = []
    for i in range(n):
        y, d = bench_lint.spec_pair(i, rng, i % 3 == 0)
        (work / f"s{i}.pspec.yaml").write_text(y)
        (work / f"s{i}.pspec").write_text(d)
        yaml_paths.append(f"s{i}.pspec.yaml")
        dsl_paths.append(f"s{i}.pspec")
    os.chdir(work)
    per_file("load yaml", n, lambda: [load(p) for p in yaml_paths])
    per_file("load dsl", n, lambda: [load(p) for p in dsl_paths])
    parsed = {p: load(p) for p in yaml_paths}
    per_file("resolve", n, lambda: [resolve(p, parsed[p]) for p in yaml_paths])
    resolved = [resolve(p, parsed[p]) for p in yaml_paths]
    per_file("rules.check", n, lambda: [rules.check(r) for r in resolved])
    per_file("lint_files yaml (whole engine)", n, lambda: lint_files(yaml_paths))
    per_file("lint_files dsl (whole engine)", n, lambda: lint_files(dsl_paths))
    os.chdir(Path.home())
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
