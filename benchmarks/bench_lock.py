"""`lock` of one prompt of 1,000,000 requests next to `expand` of it to /dev/null, and `diff`
between two revisions of 1,000 generated specs.

Lock streams the expansion and keeps only a count and a running SHA-256, so its peak memory
should stay flat and its time close to expand's (which also formats every request as JSON).
Each command runs as a child process; peak memory is the child's maximum resident set size.
The diff part builds a git repository of 1,000 specs (three prompts each, importing one
shared preset file), commits it, changes a tenth of the specs and the preset, commits again,
and times `promptspec diff HEAD~1 --format json` (the working tree equals HEAD).

    python benchmarks/bench_lock.py [--requests 1000000] [--specs 1000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_expand import run, write_sweep  # the same sweep, measured the same way

PRESETS = """\
preset base {{
  negative_prompt = "old, blemish"
  num_images = {images}
  steps = 30
}}
"""

SPEC = """\
import "../presets/common.pspec"

tune {tune}

prompt portrait_{i} : base {{
  text = "portrait {i} of {{{{ subject }}}}"
  vars {{ subject = "ohwx man" }}
  sweep {{
    seed = 1..{seeds}
    cfg_scale = [5, 7]
  }}
}}

prompt landscape_{i} {{
  text = "landscape {i}, {{{{ mood }}}}"
  num_images = 2
  vars {{ mood = "calm" }}
  sweep {{
    mood = ["calm", "stormy", "misty"]
  }}
}}

prompt still_{i} : base {{
  text = "still life {i}"
}}
"""


def git(repo: str, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def bench_lock(requests: int, repeat: int) -> None:
    ps = [sys.executable, "-m", "promptspec"]
    with tempfile.TemporaryDirectory() as tmp:
        n, _, _ = write_sweep(tmp, requests)
        expand, lock = [], []
        for _ in range(repeat):
            expand.append(run([*ps, "expand", "--format", "jsonl", "sweep.pspec"], tmp))
            lock.append(run([*ps, "lock"], tmp))
        line = json.loads(Path(tmp, "promptspec.lock").read_text())
        assert line["requests"] == n, line
    t_exp, c_exp = (statistics.median(r[i] for r in expand) for i in (0, 2))
    t_lock, c_lock = (statistics.median(r[i] for r in lock) for i in (0, 2))
    m_exp = max(r[1] for r in expand)
    m_lock = max(r[1] for r in lock)
    print(f"one prompt of {n:,} requests (5 axes, 2 templates), median of {repeat} run(s)")
    print(f"promptspec expand > /dev/null: {t_exp:7.1f} s wall {c_exp:7.1f} s CPU  "
          f"peak {m_exp:6.1f} MB")
    print(f"promptspec lock:               {t_lock:7.1f} s wall {c_lock:7.1f} s CPU  "
          f"peak {m_lock:6.1f} MB")
    print(f"time ratio (lock / expand): {t_lock / t_exp:.2f} wall, {c_lock / c_exp:.2f} CPU  "
          "(target <= 1.5)")
    print(f"lock peak memory: {m_lock:.1f} MB  (target < 100 MB)")


def bench_diff(specs: int, repeat: int) -> None:
    ps = [sys.executable, "-m", "promptspec"]
    with tempfile.TemporaryDirectory() as repo:
        git(repo, "init", "-q")
        git(repo, "config", "user.name", "Bench")
        git(repo, "config", "user.email", "bench@example.com")
        Path(repo, "pyproject.toml").write_text(
            '[project]\nname = "bench"\n[tool.promptspec]\ncost-per-image-mc = 100\n')
        Path(repo, "presets").mkdir()
        Path(repo, "specs").mkdir()
        Path(repo, "presets/common.pspec").write_text(PRESETS.format(images=2))
        for i in range(specs):
            Path(repo, f"specs/s{i:04d}.pspec").write_text(
                SPEC.format(i=i, tune=1000 + i % 7, seeds=4))
        git(repo, "add", "-A")
        git(repo, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "one")
        Path(repo, "presets/common.pspec").write_text(PRESETS.format(images=3))
        for i in range(0, specs, 10):
            Path(repo, f"specs/s{i:04d}.pspec").write_text(
                SPEC.format(i=i, tune=1000 + i % 7, seeds=6))
        git(repo, "add", "-A")
        git(repo, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "two")
        times = [run([*ps, "diff", "HEAD~1", "--format", "json"], repo) for _ in range(repeat)]
        lints = [run([*ps, "lint"], repo) for _ in range(repeat)]
        out = subprocess.run([*ps, "diff", "HEAD~1", "--format", "json"], cwd=repo,
                             capture_output=True, text=True, check=True).stdout
    totals = json.loads(out)["totals"]
    prompts = len(json.loads(out)["prompts"])
    t, c = (statistics.median(r[i] for r in times) for i in (0, 2))
    m = max(r[1] for r in times)
    t_lint, c_lint = (statistics.median(r[i] for r in lints) for i in (0, 2))
    print(f"diff HEAD~1 of {specs:,} specs ({3 * specs:,} prompts, one shared preset changed, "
          f"a tenth of the sweeps widened), median of {repeat} run(s)")
    print(f"promptspec diff: {t:7.2f} s wall {c:7.2f} s CPU  peak {m:6.1f} MB  "
          f"({prompts:,} prompts changed, totals {totals})")
    print(f"promptspec lint of the same tree, for scale: {t_lint:7.2f} s wall "
          f"{c_lint:7.2f} s CPU")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=1_000_000)
    ap.add_argument("--specs", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    bench_lock(args.requests, args.repeat)
    bench_diff(args.specs, args.repeat)


if __name__ == "__main__":
    main()
