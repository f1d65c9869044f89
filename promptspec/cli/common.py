"""What every command shares: one-line errors with exit codes, and the base URL choice."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from promptspec.errors import PromptspecError

__all__ = ["DEFAULT_BASE_URL", "api_option", "choose_base_url", "one_line_errors"]

DEFAULT_BASE_URL = "https://api.astria.ai"

F = TypeVar("F", bound=Callable[..., Any])


def one_line_errors(fn: F) -> F:
    """Turn PromptspecError into its message on stderr and its exit code; never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except PromptspecError as err:
            click.echo(str(err), err=True)
            sys.exit(err.exit_code)
        except BrokenPipeError:  # `promptspec expand ... | head`
            sys.stderr.close()
            sys.exit(0)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def choose_base_url(option: str | None, configured: str | None = None) -> str:
    """`--base-url`, then `ASTRIA_BASE_URL`, then the configuration, then the API's own."""
    url = option or os.environ.get("ASTRIA_BASE_URL") or configured or DEFAULT_BASE_URL
    return url.rstrip("/")


def api_option(fn: F) -> F:
    """`--api current|reference`: the API profile (else `api` in [tool.promptspec])."""
    return click.option(
        "--api", "profile", type=click.Choice(["current", "reference"]), default=None,
        help="API profile: current (default) or reference (the 2023 parameter table).",
    )(fn)
