"""The command line: click parses options and calls the public `api`; nothing else here.

Commands live in their own modules and load lazily, so `promptspec lint` never imports
what `run` or `mock-server` need; `promptspec --version` imports nothing at all (not even
click, which costs as much again as starting Python).
"""

from __future__ import annotations

import os
import sys

from promptspec import __version__

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: importing typing costs `--version` 5 ms
if TYPE_CHECKING:
    from typing import Any

    import click

__all__ = ["COMMANDS", "cli", "main"]

# command name -> "module:attribute" (a click.Command)
COMMANDS: dict[str, str] = {
    "lint": "promptspec.cli.lint_commands:lint",
    "expand": "promptspec.cli.expand_command:expand",
    "run": "promptspec.cli.run_command:run",
    "sheet": "promptspec.cli.sheet_command:sheet",
    "fmt": "promptspec.cli.format_commands:fmt",
    "convert": "promptspec.cli.format_commands:convert",
    "schema": "promptspec.cli.lint_commands:schema",
    "rules": "promptspec.cli.lint_commands:rules",
    "mock-server": "promptspec.cli.mock_server_command:mock_server",
    "lock": "promptspec.cli.review_commands:lock",
    "diff": "promptspec.cli.review_commands:diff",
    "lsp": "promptspec.cli.lsp_command:lsp",
}


_GROUP: list[click.Group] = []


def __getattr__(name: str) -> Any:
    if name == "cli":  # the click group, built on first use
        if not _GROUP:
            from promptspec.cli.group import make_group

            _GROUP.append(make_group(COMMANDS))
        return _GROUP[0]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: list[str] | None = None) -> Any:
    if (sys.argv[1:] if argv is None else argv) == ["--version"]:
        sys.stdout.write(f"promptspec, version {__version__}\n")
        return 0
    import click

    from promptspec.errors import PromptspecError

    group = __getattr__("cli")
    try:
        return group.main(args=argv, prog_name="promptspec", standalone_mode=True)
    except PromptspecError as err:  # commands normally turn these into exits themselves
        click.echo(f"promptspec: {err}", err=True)
        sys.exit(err.exit_code)
    except Exception as err:  # a bug: still one line, unless asked for the traceback
        if os.environ.get("PROMPTSPEC_DEBUG"):
            raise
        click.echo(f"promptspec: internal error: {type(err).__name__}: {err} "
                   "(set PROMPTSPEC_DEBUG=1 for details)", err=True)
        sys.exit(1)
