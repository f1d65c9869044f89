"""`promptspec lock` and `promptspec diff`: thin click commands over `api.lock`,
`api.check_lock` and `api.diff`.

Standard output holds only the findings of `lock --check` and the table of `diff`; summaries
and errors go to standard error.
"""

from __future__ import annotations

import os
import sys

import click

from promptspec.cli.common import one_line_errors

__all__ = ["diff", "lock"]


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--check", is_flag=True,
              help="Write nothing; report stale, missing and orphaned entries (PS408).")
@one_line_errors
def lock(paths: tuple[str, ...], check: bool) -> None:
    """Write promptspec.lock at the project root: per prompt, its request and image counts
    and a digest of its request ids (PATH...: spec files or folders; default: every spec
    under the project root)."""
    from promptspec import api

    if check:
        from promptspec.output.text import summary, write_text

        found = api.check_lock(paths)
        write_text(found, sys.stdout)
        click.echo(summary(found), err=True)
        if found:
            sys.exit(1)
        return
    written = api.lock(paths)
    state = "updated" if written.changed else "unchanged"
    n = written.prompts
    click.echo(f"{os.path.relpath(written.path)} {state} ({n} prompt{'s' * (n != 1)} locked).",
               err=True)


@click.command()
@click.argument("args", nargs=-1, metavar="[REV] [PATH]...")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]),
              default="text", show_default=True)
@click.option("--exit-code", is_flag=True, help="Exit 1 when any prompt's requests changed.")
@one_line_errors
def diff(args: tuple[str, ...], fmt: str, exit_code: bool) -> None:
    """Compare the requests of the specs at git revision REV (default HEAD) with the working
    tree, per prompt (PATH...: default, every spec under the current folder)."""
    from promptspec import api

    review = api.diff(args)
    if fmt == "json":
        click.echo(review.to_json(), nl=False)
    elif fmt == "markdown":
        click.echo(review.to_markdown(), nl=False)
    else:
        click.echo(review.to_text(), nl=False)
        if not review.changed:
            click.echo(f"No prompt's requests changed since {review.rev}.", err=True)
    if exit_code and review.changed:
        sys.exit(1)
