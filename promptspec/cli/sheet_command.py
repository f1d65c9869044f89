"""`promptspec sheet OUT... --out DIR`: one contact sheet from several run folders."""

from __future__ import annotations

from pathlib import Path

import click

from promptspec.cli.common import one_line_errors

__all__ = ["sheet"]


@click.command("sheet")
@click.argument("outs", nargs=-1, required=True, metavar="OUT...",
                type=click.Path(file_okay=False))
@click.option("--out", "dest", required=True, type=click.Path(file_okay=False), metavar="DIR",
              help="Folder of the merged sheet (results.jsonl, images/, index.html, grids/).")
@one_line_errors
def sheet(outs: tuple[str, ...], dest: str) -> None:
    """Merge the results and images of several run folders into one contact sheet."""
    from promptspec import api

    rows = api.merge_sheets([Path(o) for o in outs], Path(dest))
    done = sum(1 for r in rows if r.get("state") == "finished")
    click.echo(f"Merged {len(outs)} folders: {len(rows)} requests, {done} finished; "
               f"contact sheet in {Path(dest) / 'index.html'}", err=True)
