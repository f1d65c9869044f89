"""Where lint time goes, per file, stage by stage (prints figures; not a test).

Generates the same ~2.5 KB specs as bench_lint.py (both syntaxes) and times, in process
and warm: loading (parse to the model), resolution, the rule checks with and without the
cross-prompt duplicate check, and the whole engine (wall time, and the process's CPU time:
the steadier figure on a busy machine).

    python benchmarks/bench_lint_stages.py [--files 200]
"""

from __future__ import annotations

import argparse
import os
import random
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


def per_file(label: str, n: int, fn: Callable[[], object]) -> None:
    """The best of three runs, wall time and CPU time of this process."""
    fn()
    best = best_cpu = float("inf")
    for _ in range(3):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    print(f"{label:32s} {best / n * 1000:6.2f} ms/file  (CPU {best_cpu / n * 1000:5.2f})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=200)
    n = ap.parse_args().files
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


if __name__ == "__main__":
    main()
