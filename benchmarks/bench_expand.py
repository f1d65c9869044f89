"""Expand 1,000,000 requests to JSONL; compare with a bare loop doing the same work per request,
and with dynamicprompts' combinatorial generator making as many prompts from a template of the
same shape (five variant groups of the same sizes, text and negative prompt).

The spec has five axes and two templates. The text reads the fastest axis and two others,
so it is rendered at every point; the negative prompt reads only the fastest axis (10
values), so expansion renders it once per value and reuses the result, as it does for any
template whose inputs repeat. The bare loop does per request: `itertools.product`, two
renders of precompiled jinja2 templates, `json.dumps` and the sha256 id. Both run as
subprocesses writing to /dev/null; peak memory is each child's maximum resident set size.
dynamicprompts is no dependency of promptspec: the benchmark installs it into a virtual
environment of its own (under the user's cache folder, made once and reused).

    python benchmarks/bench_expand.py [--requests 1000000] [--repeat 1] [--no-dynamicprompts]
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


DYNAMICPROMPTS = r"""
import sys
from dynamicprompts.generators import CombinatorialPromptGenerator
a, e = int(sys.argv[1]), int(sys.argv[2])
roles = ["knight", "sailor", "monk", "pilot", "chef", "scribe", "smith", "poet", "bard", "sage"]
def group(values):
    return "{" + "|".join(str(v) for v in values) + "}"
template = (f"a painting of ohwx man as {group(roles)}, seed {group(range(1, a + 1))}, "
            f"{group(range(1, e + 1))}, cfg {group(range(1, 11))}, steps {group(range(11, 21))}"
            " ### blurry, lowres")
out = sys.stdout
for prompt in CombinatorialPromptGenerator().generate(template, max_prompts=None):
    out.write(prompt + "\n")
"""


def dynamicprompts_python() -> str:
    """A Python with dynamicprompts, in a virtual environment of the benchmark's own."""
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    venv = home / "promptspec-bench" / "dynamicprompts"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "dynamicprompts"],
                       check=True)
    return str(python)


def run(cmd: list[str], cwd: str) -> tuple[float, float, float]:
    """Wall time (s), peak RSS (MB) and CPU time (s, user + system) of one child process
    writing to /dev/null. CPU time is the fairer measure on a busy machine."""
    with open(os.devnull, "w") as sink:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=sink, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{' '.join(cmd[:5])} failed with status {status}")
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def write_sweep(folder: str, requests: int) -> tuple[int, int, int]:
    """Write `pyproject.toml` and `sweep.pspec` (5 axes, 2 templates) of about `requests`
    requests into `folder`: (requests written, first axis size, last axis size)."""
    e = 10
    a = max(1, requests // (10 * 10 * 10 * e))
    Path(folder, "pyproject.toml").write_text('[project]\nname = "bench"\n')
    Path(folder, "sweep.pspec").write_text(SPEC.format(a=a, e=e))
    return a * 10 * 10 * 10 * e, a, e


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--no-dynamicprompts", action="store_true")
    args = ap.parse_args()
    dp_python = None if args.no_dynamicprompts else dynamicprompts_python()
    with tempfile.TemporaryDirectory() as tmp:
        n, a, e = write_sweep(tmp, args.requests)
        Path(tmp, "bare.py").write_text(BARE)
        Path(tmp, "dp.py").write_text(DYNAMICPROMPTS)
        ours, bare, dp = [], [], []
        for _ in range(args.repeat):
            ours.append(run([sys.executable, "-m", "promptspec", "expand", "sweep.pspec"], tmp))
            bare.append(run([sys.executable, "bare.py", str(a), str(e)], tmp))
            if dp_python is not None:
                dp.append(run([dp_python, "dp.py", str(a), str(e)], tmp))
    t_ours = statistics.median(r[0] for r in ours)
    t_bare = statistics.median(r[0] for r in bare)
    m_ours = max(r[1] for r in ours)
    m_bare = max(r[1] for r in bare)
    print(f"requests: {n:,} (5 axes, 2 templates), median of {args.repeat} run(s)")
    print(f"promptspec expand: {t_ours:7.1f} s  {n / t_ours:9,.0f} req/s  peak {m_ours:6.1f} MB")
    print(f"bare loop:         {t_bare:7.1f} s  {n / t_bare:9,.0f} req/s  peak {m_bare:6.1f} MB")
    if dp:
        t_dp = statistics.median(r[0] for r in dp)
        m_dp = max(r[1] for r in dp)
        print(f"dynamicprompts:    {t_dp:7.1f} s  {n / t_dp:9,.0f} req/s  peak {m_dp:6.1f} MB"
              "  (combinatorial generator, bare strings)")
    print(f"time ratio (promptspec / bare): {t_ours / t_bare:.2f}  (target <= 1.5)")
    if dp:
        print(f"time ratio (promptspec / dynamicprompts): {t_ours / t_dp:.2f}  (target < 1)")
    print(f"peak memory: {m_ours:.1f} MB  (target < 100 MB)")


if __name__ == "__main__":
    main()
