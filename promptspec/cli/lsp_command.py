"""`promptspec lsp`: the language server over stdio (the extra `promptspec[lsp]`)."""

from __future__ import annotations

import importlib.util
import sys

import click

from promptspec.errors import UsageError

__all__ = ["lsp"]

INSTALL_HINT = "pip install 'promptspec[lsp]'"


def _missing() -> str | None:
    """The first package of the extra that is not installed, if any."""
    for module in ("pygls", "lsprotocol"):
        if importlib.util.find_spec(module) is None:
            return module
    return None


@click.command()
def lsp() -> None:
    """Run the language server on stdin/stdout (for editors)."""
    missing = _missing()
    if missing is not None:
        click.echo(f"promptspec lsp: {missing} is not installed; run: {INSTALL_HINT}", err=True)
        sys.exit(UsageError.exit_code)
    from promptspec.lsp import serve  # the server calls `api`, as this command line does

    sys.exit(serve())
