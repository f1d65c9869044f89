"""`promptspec fmt` and `promptspec convert`: thin click commands over `fmt` and `convert`."""

from __future__ import annotations

import difflib
import sys

import click

from promptspec.cli.common import one_line_errors
from promptspec.errors import SpecReadError

__all__ = ["convert", "fmt"]


def _plural(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"


def unified_diff(path: str, before: str, after: str) -> str:
    """A unified diff of one file; a missing final line break is marked as diff marks it."""
    out = []
    for line in difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), path, path
    ):
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


@click.command("fmt")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--check", is_flag=True, help="Change nothing; exit 1 if a file would change.")
@click.option("--diff", "show_diff", is_flag=True, help="Print a diff instead of rewriting.")
@one_line_errors
def fmt(paths: tuple[str, ...], check: bool, show_diff: bool) -> None:
    """Rewrite DSL spec files (*.pspec) into the canonical layout. YAML files are left alone."""
    from promptspec import api

    changed = unchanged = failed = 0
    for path in api.discover(paths):
        outcome = api.format_file(path)
        if outcome.skipped:
            if path in paths:  # named on the command line: say why nothing happened
                click.echo(f"{path}: skipped: fmt rewrites DSL files only", err=True)
            continue
        if outcome.error is not None:
            click.echo(str(outcome.error), err=True)
            failed += 1
            continue
        if not outcome.changed or outcome.formatted is None:
            unchanged += 1
            continue
        changed += 1
        if show_diff:
            click.echo(unified_diff(path, outcome.original, outcome.formatted), nl=False)
        if check:
            click.echo(f"would reformat {path}", err=True)
        if not (check or show_diff):
            api.write_formatted(outcome)
    verb = "would be reformatted" if check or show_diff else "reformatted"
    summary = f"{_plural(changed)} {verb}, {unchanged} unchanged"
    if failed:
        summary += f", {failed} not formatted (syntax errors)"
    click.echo(summary, err=True)
    if failed or (changed and (check or show_diff)):
        sys.exit(1)


@click.command("convert")
@click.argument("spec", type=click.Path())
@click.option("--to", "to", type=click.Choice(["yaml", "dsl"]), required=True,
              help="The syntax to write.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write to FILE instead of standard output.")
@one_line_errors
def convert(spec: str, to: str, output: str | None) -> None:
    """Turn a spec into the other syntax (comments carried along)."""
    from promptspec import api

    result = api.convert(spec, to)
    if output is None:
        click.echo(result, nl=False)
        return
    try:
        api.write_text(output, result)
    except OSError as err:
        raise SpecReadError(f"{output}: cannot write: {err.strerror or err}") from None
    click.echo(f"wrote {output}", err=True)
