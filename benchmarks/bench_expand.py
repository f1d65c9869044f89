"""Expand 1,000,000 requests to JSONL; compare with a bare loop doing the same work per request.

The spec has five axes and two templates. The text reads the fastest axis and two others,
so it is rendered at every point; the negative prompt reads only the fastest axis (10
values), so expansion renders it once per value and reuses the result, as it does for any
template whose inputs repeat. The bare loop does per request: `itertools.product`, two
renders of precompiled jinja2 templates, `json.dumps` and the sha256 id. Both run as
subprocesses writing to /dev/null; peak memory is each child's maximum resident set size.

    python benchmarks/bench_expand.py [--requests 1000000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPEC = """\
tune 1234
vars {{
  subject = "ohwx man"
}}
prompt sweep {{
  text = "a painting of {{{{ subject }}}} as {{{{ role }}}}, seed {{{{ seed }}}}, {{{{ mood }}}}"
  negative_prompt = "blurry, {{{{ mood }}}}-looking, lowres"
  num_images = 1
  sweep {{
    seed = 1..{a}
    cfg_scale = 1..10
    steps = 11..20
    role = ["knight", "sailor", "monk", "pilot", "chef", "scribe", "smith", "poet", "bard",
            "sage"]
    mood = 1..{e}
  }}
}}
"""

BARE = r"""
import hashlib, itertools, json, sys
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
text = env.from_string(
    "a painting of {{ subject }} as {{ role }}, seed {{ seed }}, {{ mood }}")
neg = env.from_string("blurry, {{ mood }}-looking, lowres")
roles = ["knight", "sailor", "monk", "pilot", "chef", "scribe", "smith", "poet", "bard", "sage"]
a, e = int(sys.argv[1]), int(sys.argv[2])
out = sys.stdout
for seed, cfg, steps, role, mood in itertools.product(
        range(1, a + 1), range(1, 11), range(11, 21), roles, range(1, e + 1)):
    ctx = {"subject": "ohwx man", "seed": seed, "cfg_scale": float(cfg), "steps": steps,
           "role": role, "mood": mood}
    params = {"text": text.render(ctx).strip(), "negative_prompt": neg.render(ctx).strip(),
              "num_images": 1, "seed": seed, "cfg_scale": float(cfg), "steps": steps}
    blob = json.dumps({"tune_id": 1234, "params": params}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False)
    rid = "ps_" + hashlib.sha256(blob.encode()).hexdigest()[:16]
    out.write(json.dumps({"id": rid, "params": params}) + "\n")
"""


def run(cmd: list[str], cwd: str) -> tuple[float, float]:
    """Wall time (s) and peak RSS (MB) of one child process writing to /dev/null."""
    with open(os.devnull, "w") as sink:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=sink)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{cmd[:3]} failed with status {status}")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    e = 10
    a = max(1, args.requests // (10 * 10 * 10 * e))
    n = a * 10 * 10 * 10 * e
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "pyproject.toml").write_text('[project]\nname = "bench"\n')
        Path(tmp, "sweep.pspec").write_text(SPEC.format(a=a, e=e))
        Path(tmp, "bare.py").write_text(BARE)
        ours, bare = [], []
        for _ in range(args.repeat):
            ours.append(run([sys.executable, "-m", "promptspec", "expand", "sweep.pspec"], tmp))
            bare.append(run([sys.executable, "bare.py", str(a), str(e)], tmp))
    t_ours = statistics.median(t for t, _ in ours)
    t_bare = statistics.median(t for t, _ in bare)
    m_ours = max(m for _, m in ours)
    m_bare = max(m for _, m in bare)
    print(f"requests: {n:,} (5 axes, 2 templates), median of {args.repeat} run(s)")
    print(f"promptspec expand: {t_ours:7.1f} s  {n / t_ours:9,.0f} req/s  peak {m_ours:6.1f} MB")
    print(f"bare loop:         {t_bare:7.1f} s  {n / t_bare:9,.0f} req/s  peak {m_bare:6.1f} MB")
    print(f"time ratio (promptspec / bare): {t_ours / t_bare:.2f}  (target <= 1.5)")
    print(f"peak memory: {m_ours:.1f} MB  (target < 100 MB)")


if __name__ == "__main__":
    main()
