"""`promptspec lint`, `promptspec rules` and `promptspec schema`: thin click commands.

Standard output holds only findings (or the rule list, or the schema); the summary,
`Fixed N findings.` and errors go to standard error. `--statistics` behaves like ruff's:
counts per code replace the findings on standard output, most frequent first, and the
exit code is the one the findings would give.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence

import click

from promptspec.api import Diagnostic
from promptspec.cli.common import api_option, one_line_errors
from promptspec.errors import UsageError

__all__ = ["lint", "rules", "schema"]


def _fails(diagnostics: Sequence[Diagnostic], strict: bool) -> bool:
    return any(d.severity == "error" or strict for d in diagnostics)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github", "sarif"]),
              default=None, help="Output format (github when GITHUB_ACTIONS=true; else text).")
@click.option("--select", metavar="CODES", help="Only these codes or prefixes (PS1,PS209).")
@click.option("--ignore", metavar="CODES", help="Also ignore these codes or prefixes.")
@click.option("--strict", is_flag=True, help="Warnings fail too.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings fail.")
@click.option("--fix", is_flag=True, help="Apply the fixes of fixable findings.")
@click.option("--statistics", is_flag=True, help="Print counts per code instead of findings.")
@click.option("--no-cache", is_flag=True,
              help="Neither read nor write the lint cache (.promptspec_cache/).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, metavar="N",
              help="Check files in up to N processes (default: the usable CPUs).")
@api_option
@one_line_errors
def lint(paths: tuple[str, ...], fmt: str | None, select: str | None, ignore: str | None,
         strict: bool, exit_zero: bool, fix: bool, statistics: bool, no_cache: bool,
         jobs: int | None, profile: str | None) -> None:
    """Check PATH... (spec files or folders; default: the current folder)."""
    from promptspec import api
    from promptspec.output import write
    from promptspec.output.text import summary, write_statistics

    if fmt is None:
        fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    selection = api.selection(select, ignore)
    files = api.discover(paths)
    if not files:
        click.echo("warning: no spec files found (*.pspec, *.pspec.yaml, *.pspec.yml)",
                   err=True)
    cache = not no_cache
    if jobs is None:
        jobs = api.usable_cpus()
    if fix:
        fixed = api.fix(files, selection, profile, cache=cache, jobs=jobs)
        result = fixed.result
    else:
        result = api.lint(files, selection, profile, cache=cache, jobs=jobs)
    diagnostics = result.diagnostics
    if statistics:
        write_statistics(diagnostics, sys.stdout, fmt)
    else:
        write(fmt, diagnostics, sys.stdout)
    if fix:
        n = fixed.fixed
        click.echo(f"Fixed {n} finding{'' if n == 1 else 's'}.", err=True)
    if diagnostics or fmt == "text":
        click.echo(summary(diagnostics), err=True)
    if not exit_zero and _fails(diagnostics, strict):
        sys.exit(1)


@click.command()
@click.argument("code", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@api_option
@one_line_errors
def rules(code: str | None, fmt: str, profile: str | None) -> None:
    """List every rule of the API profile, or explain rule CODE."""
    from promptspec import api

    ordered = api.rules(profile)
    if code is not None:
        rule = next((r for r in ordered if r.code == code.strip().upper()), None)
        if rule is None:
            raise UsageError(f"no rule {code!r} under the {api.profile(profile)!r} API profile "
                             "(see `promptspec rules`)")
        if fmt == "json":
            click.echo(json.dumps(rule.to_dict(), indent=2, ensure_ascii=False))
            return
        fixable = ", fixable" if rule.fixable else ""
        click.echo(f"{rule.code} {rule.name} ({rule.severity}{fixable})\n\n{rule.summary}\n")
        click.echo(f"{rule.explanation.rstrip()}\n")
        for title, text in (("Bad", rule.bad), ("Good", rule.good)):
            body = "\n".join(("    " + line).rstrip() for line in text.rstrip().splitlines())
            click.echo(f"{title}:\n\n{body}\n")
        return
    if fmt == "json":
        click.echo(json.dumps([r.to_dict() for r in ordered], indent=2, ensure_ascii=False))
        return
    name_w = max((len(r.name) for r in ordered), default=0)
    for r in ordered:
        click.echo(f"{r.code}  {r.name:<{name_w}}  {r.severity:<7}  {r.summary}")


@click.command()
@api_option
@one_line_errors
def schema(profile: str | None) -> None:
    """Print the JSON Schema (draft-07) of the YAML syntax, for editors."""
    from promptspec import api

    click.echo(json.dumps(api.schema(profile), indent=2, ensure_ascii=False))
