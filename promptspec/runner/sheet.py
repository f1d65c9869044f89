"""Write a run's contact sheet: `OUT/index.html` and one X/Y grid image per prompt,
`OUT/grids/<prompt>.png`, both laid out by the prompt's sweep axes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from promptspec.paths import atomic_write
from promptspec.runner._sheet_html import render_html
from promptspec.runner._sheet_layout import build_sheets, grid_path, totals

__all__ = ["write_contact_sheet"]


def write_contact_sheet(out_dir: Path, results: list[dict[str, Any]]) -> None:
    """Write `index.html` and `grids/<prompt>.png` into `out_dir` from the rows of
    `results.jsonl` (image paths in the rows are relative to `out_dir`)."""
    from promptspec.runner._sheet_png import write_grid_png

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sheets = build_sheets(results)
    page = render_html(out_dir.resolve().name, sheets, totals(results))
    atomic_write(out_dir / "index.html", page)  # a reloading browser never sees half a page
    for sheet in sheets:
        write_grid_png(out_dir / grid_path(sheet.prompt), out_dir, sheet)
