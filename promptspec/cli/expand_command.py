"""`promptspec expand`: print the requests a spec expands to, as JSONL, JSON, curl or a table."""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

import click

from promptspec.api import Request
from promptspec.cli.common import api_option, choose_base_url, one_line_errors
from promptspec.output.requests import curl_command, jsonl_line

__all__ = ["expand"]

def _table(requests: Iterable[Request], out: TextIO) -> None:
    for prompt, group in itertools.groupby(requests, key=lambda r: (r.spec, r.prompt)):
        rows = list(group)
        axes = list(rows[0].coords)
        header = ["#", "id", *axes]
        body = [[str(r.index), r.id, *(_cell(r.coords.get(a)) for a in axes)] for r in rows]
        widths = [max(len(h), *(len(row[i]) for row in body)) for i, h in enumerate(header)]
        out.write(f"{prompt[0]} :: {prompt[1]} ({len(rows)} requests)\n")
        out.write("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()
                  + "\n")
        out.write("  ".join("-" * w for w in widths) + "\n")
        for row in body:
            out.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
                      + "\n")
        out.write("\n")


def _cell(v: Any) -> str:
    text = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
    return text if len(text) <= 40 else text[:39] + "…"


def _limited(requests: Iterator[Request], limit: int | None) -> Iterator[Request]:
    return requests if limit is None else itertools.islice(requests, limit)


@click.command()
@click.argument("specs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--prompt", "prompt", metavar="NAME", help="Only this prompt.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "json", "curl", "table"]),
              default="jsonl", show_default=True)
@click.option("--limit", type=click.IntRange(min=0), metavar="N", help="At most N requests.")
@click.option("--count", "count_only", is_flag=True,
              help="Print how many requests, without expanding them.")
@click.option("--base-url", metavar="URL", help="API base URL for --format curl.")
@api_option
@one_line_errors
def expand(specs: tuple[str, ...], prompt: str | None, fmt: str, limit: int | None,
           count_only: bool, base_url: str | None, profile: str | None) -> None:
    """Print the requests SPEC... expand to (one JSON object per line by default)."""
    from promptspec import api

    out = sys.stdout
    if count_only:
        counts = api.count(specs, prompt, profile)
        total = sum(n for _, _, n in counts)
        if fmt == "json":
            out.write(json.dumps({"total": total, "prompts": [
                {"spec": s, "prompt": p, "requests": n} for s, p, n in counts]}) + "\n")
            return
        for s, p, n in counts:
            click.echo(f"{s} :: {p}: {n}", err=True)
        out.write(f"{total}\n")
        return
    requests = _limited(api.expand(specs, prompt, profile), limit)
    if fmt == "jsonl":
        write = out.write
        lines: list[str] = []
        for r in requests:  # written in batches: one write per line costs a tenth of the run
            lines.append(jsonl_line(r))
            if len(lines) >= 256:
                write("\n".join(lines) + "\n")
                lines.clear()
        if lines:
            write("\n".join(lines) + "\n")
    elif fmt == "json":
        first = True
        out.write("[")
        for r in requests:
            out.write(("\n" if first else ",\n") + jsonl_line(r))
            first = False
        out.write("\n]\n" if not first else "]\n")
    elif fmt == "curl":
        from promptspec.config import load_config

        url = choose_base_url(base_url, load_config(specs[0]).base_url)
        for r in requests:
            out.write(curl_command(r, url) + "\n")
    else:
        _table(requests, out)
