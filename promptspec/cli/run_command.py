"""`promptspec run`: expand the specs, show the plan, and submit it exactly once.

Exit codes: 0 every request succeeded (or `--dry-run`); 1 a spec has errors, a request
failed, the budget stopped the run, or the user declined; 2 a usage-level refusal: more than
`--max-requests` or `--max-images` still to create, a missing API key, an unreachable server
or ledger at start, a refused key.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Any

import click

from promptspec.cli.common import api_option, choose_base_url, one_line_errors
from promptspec.errors import RunError, UsageError

__all__ = ["default_out_dir", "run"]

CONFIRM_ABOVE = 50
KEY_VARIABLE = "ASTRIA_API_KEY"
MOCK_KEY = "promptspec-mock-key"
MOCK_LATENCY = 0.25
"""Seconds the built-in emulator behind `--mock` takes to settle a prompt: long enough to show
waiting and progress, short enough that a demo does not drag."""


def default_out_dir(spec: str) -> Path:
    """`runs/<first spec's stem>`: `specs/demo.pspec` and `demo.pspec.yaml` give `runs/demo`."""
    from promptspec import api

    return Path("runs") / api.spec_stem(spec)


def _env_float(name: str, default: float) -> float:
    """A positive, finite number of seconds from the environment (else one line, exit 2)."""
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"{name}={raw[:40]!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise UsageError(f"{name} must be a finite positive number of seconds, not {raw[:40]!r}")
    return value


def _checked_key(key: str) -> str:
    """The key, refused (without showing it) if it holds a control character or line break."""
    key = key.strip()
    if any(ord(c) < 32 or 127 <= ord(c) < 160 or c in "\u2028\u2029" for c in key):
        raise RunError(f"{KEY_VARIABLE} holds a control character or a line break; "
                       "refusing to send it (the key is not shown)")
    return key


@click.command("run")
@click.argument("specs", nargs=-1, required=True, metavar="SPEC...")
@click.option("--prompt", "prompt", metavar="NAME", help="Only this prompt.")
@click.option("--out", "out", type=click.Path(file_okay=False), metavar="DIR",
              help="Run folder (default runs/<first spec's stem>).")
@click.option("--mock", is_flag=True, help="Send to the built-in emulator (no key needed).")
@click.option("--base-url", metavar="URL", help="API base URL (else $ASTRIA_BASE_URL).")
@click.option("--concurrency", type=click.IntRange(min=1), default=None, metavar="N",
              help="Requests in flight at once (default 32).")
@click.option("--rate", type=click.FloatRange(min=0, min_open=True), default=None,
              metavar="PER_SECOND", help="At most this many creates per second.")
@click.option("--max-requests", type=click.IntRange(min=1), default=None, metavar="N",
              help="Refuse plans larger than this (default 1000).")
@click.option("--max-images", type=click.IntRange(min=0), default=None, metavar="N",
              help="Refuse plans that would create more than N images.")
@click.option("--max-cost-mc", type=click.IntRange(min=0), default=None, metavar="N",
              help="Stop creating before reported spending could exceed N mc.")
@click.option("--ledger", metavar="URL",
              help="Keep the ledger in PostgreSQL (postgresql://...), shared by runners.")
@click.option("--shard", metavar="I/N", help="Only the requests of shard I of N.")
@click.option("--retry-failed", is_flag=True, help="Create failed requests again.")
@click.option("--dry-run", is_flag=True, help="Print the plan; send nothing.")
@click.option("--no-wait", is_flag=True, help="Create every prompt, then stop.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before large runs.")
@api_option
@one_line_errors
def run(
    specs: tuple[str, ...], prompt: str | None, out: str | None, mock: bool,
    base_url: str | None, concurrency: int | None, rate: float | None,
    max_requests: int | None, max_images: int | None, max_cost_mc: int | None,
    ledger: str | None, shard: str | None, retry_failed: bool, dry_run: bool, no_wait: bool,
    yes: bool, profile: str | None,
) -> None:
    """Submit every request of SPEC... to the Astria API, wait, and download the images."""
    from promptspec import api
    from promptspec.config import load_config

    config = load_config(specs[0])
    timing = {"backoff_base": _env_float("PROMPTSPEC_BACKOFF_BASE", 0.5),
              # the built-in emulator settles after MOCK_LATENCY: no need to wait the API's 5 s
              "poll_start": _env_float("PROMPTSPEC_POLL_START", MOCK_LATENCY if mock else 5.0),
              "lease": _env_float("PROMPTSPEC_LEASE", 60.0),  # checked before anything else
              "settle": _env_float("PROMPTSPEC_SETTLE", 5.0)}
    key = "" if mock else _checked_key(os.environ.get(KEY_VARIABLE, ""))
    if not (mock or dry_run or key.strip()):
        raise RunError(f"{KEY_VARIABLE} is not set: export your Astria API key "
                       "(or use --mock to run against the built-in emulator)")
    limit = max_requests or config.max_requests
    profile = profile or config.api
    out_dir = Path(out) if out else default_out_dir(specs[0])
    admission = api.admit(list(specs), prompt, limit, out_dir=out_dir, max_images=max_images,
                          shard=shard, ledger=ledger, retry_failed=retry_failed, api=profile,
                          collect=not dry_run)
    plan = admission.plan
    for line in admission.lines():
        click.echo(line, err=True)
    if dry_run:
        click.echo("Dry run: nothing sent.", err=True)
        return
    if (admission.to_create > CONFIRM_ABOVE and not yes and sys.stdin.isatty()
            and sys.stderr.isatty()
            and not click.confirm(f"Send {admission.to_create} requests?", err=True)):
        click.echo("Nothing sent.", err=True)
        sys.exit(1)
    options: dict[str, Any] = {
        "out_dir": out_dir,
        "base_url": choose_base_url(base_url, config.base_url),
        "key": key,
        "rate": rate,
        "wait": not no_wait,
        **timing,
        "ledger": ledger,
        "max_cost_mc": max_cost_mc,
        "cost_per_image_mc": config.cost_per_image_mc,
        "retry_failed": retry_failed,
    }
    if concurrency:
        options["concurrency"] = concurrency
    if not mock:
        sys.exit(api.run(plan, **options))
    with api.emulator(latency=MOCK_LATENCY, api=profile) as emulator:
        click.echo(f"Using the built-in emulator at {emulator.url}", err=True)
        code = api.run(plan, **{**options, "base_url": emulator.url, "key": MOCK_KEY})
    sys.exit(code)
