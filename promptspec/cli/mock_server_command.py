"""`promptspec mock-server`: serve the local Astria API emulator in the foreground."""

from __future__ import annotations

import sys

import click

from promptspec.errors import PromptspecError

__all__ = ["mock_server"]

_RATE = click.FloatRange(0.0, 1.0)


@click.command("mock-server")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (loopback only unless --allow-non-loopback).")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port to listen on; 0 picks a free one.")
@click.option("--latency", type=click.FloatRange(min=0.0), default=0.0, show_default=True,
              help="Seconds from a create until its images are ready.")
@click.option("--fail-rate", type=_RATE, default=0.0, show_default=True,
              help="Share of creates answered 500 or 503.")
@click.option("--rate-limit", type=click.FloatRange(min=0.0, min_open=True), default=None,
              help="Creates per second beyond which the server answers 429.")
@click.option("--drop-rate", type=_RATE, default=0.0, show_default=True,
              help="Share of creates made, then cut off before the response.")
@click.option("--create-delay", type=click.FloatRange(min=0.0), default=0.0, show_default=True,
              help="Seconds before answering each create.")
@click.option("--user-error-rate", type=_RATE, default=0.0, show_default=True,
              help="Share of prompts that settle failed, with user_error set.")
@click.option("--api", "profile", type=click.Choice(["current", "reference"]), default=None,
              help="API profile whose parameter table validates creates (default current).")
@click.option("--seed", type=int, default=None, help="Seed of the fault randomness.")
@click.option("--allow-non-loopback", is_flag=True,
              help="Allow listening on an address reachable from other machines.")
def mock_server(
    host: str,
    port: int,
    latency: float,
    fail_rate: float,
    rate_limit: float | None,
    drop_rate: float,
    create_delay: float,
    user_error_rate: float,
    profile: str | None,
    seed: int | None,
    allow_non_loopback: bool,
) -> None:
    """Serve a local emulator of the Astria prompts API until Ctrl-C."""
    from promptspec import api

    try:
        api.serve(
            host=host, port=port, latency=latency, fail_rate=fail_rate, rate_limit=rate_limit,
            drop_rate=drop_rate, create_delay=create_delay, seed=seed,
            allow_non_loopback=allow_non_loopback, user_error_rate=user_error_rate,
            api=api.profile(profile),
        )
    except PromptspecError as err:
        click.echo(f"promptspec mock-server: {err}", err=True)
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        pass  # Ctrl-C off the main thread's signal handler: a clean stop all the same
