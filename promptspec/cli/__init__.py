"""The command line: click parses options and calls the public `api`; nothing else here.

Commands live in their own modules and load lazily, so `promptspec lint` never imports
what `run` or `mock-server` need.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from promptspec import __version__
from promptspec.errors import PromptspecError

__all__ = ["main"]

# command name -> "module:attribute" (a click.Command)
COMMANDS: dict[str, str] = {
    "lint": "promptspec.cli.lint_commands:lint",
    "expand": "promptspec.cli.expand_command:expand",
    "run": "promptspec.cli.run_command:run",
    "fmt": "promptspec.cli.format_commands:fmt",
    "convert": "promptspec.cli.format_commands:convert",
    "schema": "promptspec.cli.lint_commands:schema",
    "rules": "promptspec.cli.lint_commands:rules",
    "mock-server": "promptspec.cli.mock_server_command:mock_server",
    "lock": "promptspec.cli.review_commands:lock",
    "diff": "promptspec.cli.review_commands:diff",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            if err.name == module_name:
                return None  # not built yet
            raise
        command = getattr(module, attr)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="promptspec")
def cli() -> None:
    """Compile, lint and run image-generation prompt specs for the Astria API."""


def main(argv: list[str] | None = None) -> Any:
    try:
        return cli.main(args=argv, prog_name="promptspec", standalone_mode=True)
    except PromptspecError as err:  # commands normally turn these into exits themselves
        click.echo(f"promptspec: {err}", err=True)
        sys.exit(err.exit_code)
    except Exception as err:  # a bug: still one line, unless asked for the traceback
        if os.environ.get("PROMPTSPEC_DEBUG"):
            raise
        click.echo(f"promptspec: internal error: {type(err).__name__}: {err} "
                   "(set PROMPTSPEC_DEBUG=1 for details)", err=True)
        sys.exit(1)
