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

from promptspec._cli_common import api_option, one_line_errors
from promptspec.diagnostics import Diagnostic
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
@api_option
@one_line_errors
def lint(paths: tuple[str, ...], fmt: str | None, select: str | None, ignore: str | None,
         strict: bool, exit_zero: bool, fix: bool, statistics: bool, api: str | None) -> None:
    """Check PATH... (spec files or folders; default: the current folder)."""
    from promptspec.discover import discover
    from promptspec.lint import Selection, lint_paths, parse_codes
    from promptspec.output import write
    from promptspec.output.text import summary, write_statistics

    if fmt is None:
        fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    selection = Selection(parse_codes(select, "--select"),
                          parse_codes(ignore, "--ignore") or ())
    files = discover(paths)
    if not files:
        click.echo("warning: no spec files found (*.pspec, *.pspec.yaml, *.pspec.yml)",
                   err=True)
    if fix:
        from promptspec.fix import fix_paths

        fixed = fix_paths(files, selection, api=api)
        result = fixed.result
    else:
        result = lint_paths(files, selection, api=api)
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
def rules(code: str | None, fmt: str, api: str | None) -> None:
    """List every rule, or explain rule CODE (those of the API profile)."""
    from promptspec.config import load_config
    from promptspec.rules import rules_for

    table = rules_for(api or load_config(".").api)
    ordered = [table[c] for c in sorted(table)]
    if code is not None:
        rule = table.get(code.strip().upper())
        if rule is None:
            raise UsageError(f"no rule {code!r} (see `promptspec rules`)")
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
def schema(api: str | None) -> None:
    """Print the JSON Schema (draft-07) of the YAML syntax, for editors."""
    from promptspec.config import load_config
    from promptspec.schema import build_schema

    profile = api or load_config(".").api
    click.echo(json.dumps(build_schema(profile), indent=2, ensure_ascii=False))
