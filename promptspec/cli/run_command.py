"""`promptspec run`: expand the specs, show the plan, and submit it exactly once.

Exit codes: 0 every request succeeded (or `--dry-run`); 1 a spec has errors, a request
failed, or the user declined; 2 a usage-level refusal: more than `--max-requests`, a missing
API key, an unreachable server at start, a refused key.
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
MOCK_LATENCY = 1.0


def default_out_dir(spec: str) -> Path:
    """`runs/<first spec's stem>`: `specs/demo.pspec` and `demo.pspec.yaml` give `runs/demo`."""
    from promptspec import api

    return Path("runs") / api.spec_stem(spec)


def _env_float(name: str, default: float) -> float:
    """A finite, positive number of seconds from the environment (else one line, exit 2)."""
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
@click.option("--dry-run", is_flag=True, help="Print the plan; send nothing.")
@click.option("--no-wait", is_flag=True, help="Create every prompt, then stop.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before large runs.")
@api_option
@one_line_errors
def run(
    specs: tuple[str, ...], prompt: str | None, out: str | None, mock: bool,
    base_url: str | None, concurrency: int | None, rate: float | None,
    max_requests: int | None, dry_run: bool, no_wait: bool, yes: bool, profile: str | None,
) -> None:
    """Submit every request of SPEC... to the Astria API, wait, and download the images."""
    from promptspec import api
    from promptspec.config import load_config

    config = load_config(specs[0])
    backoff_base = _env_float("PROMPTSPEC_BACKOFF_BASE", 0.5)
    poll_start = _env_float("PROMPTSPEC_POLL_START", 0.5)
    key = "" if mock else _checked_key(os.environ.get(KEY_VARIABLE, ""))
    if not (mock or dry_run or key.strip()):
        raise RunError(f"{KEY_VARIABLE} is not set: export your Astria API key "
                       "(or use --mock to run against the built-in emulator)")
    limit = max_requests or config.max_requests
    profile = profile or config.api
    plan = api.plan(list(specs), prompt, limit, profile, collect=not dry_run)
    for line in plan.lines():
        click.echo(line, err=True)
    if plan.too_many:
        raise UsageError(
            f"refusing to send {plan.total} requests: more than the maximum of {limit} "
            "(raise --max-requests or [tool.promptspec] max-requests)"
        )
    if dry_run:
        click.echo("Dry run: nothing sent.", err=True)
        return
    if (plan.total > CONFIRM_ABOVE and not yes and sys.stdin.isatty() and sys.stderr.isatty()
            and not click.confirm(f"Send {plan.total} requests?", err=True)):
        click.echo("Nothing sent.", err=True)
        sys.exit(1)
    options: dict[str, Any] = {
        "out_dir": Path(out) if out else default_out_dir(specs[0]),
        "base_url": choose_base_url(base_url, config.base_url),
        "key": key,
        "rate": rate,
        "wait": not no_wait,
        "backoff_base": backoff_base,
        "poll_start": poll_start,
    }
    if concurrency:
        options["concurrency"] = concurrency
    if not mock:
        sys.exit(api.run(plan, **options))
    with api.emulator(latency=MOCK_LATENCY, api=profile) as emulator:
        click.echo(f"Using the built-in emulator at {emulator.url}", err=True)
        code = api.run(plan, **{**options, "base_url": emulator.url, "key": MOCK_KEY})
    sys.exit(code)
