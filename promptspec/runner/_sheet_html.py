"""Render the contact sheet (`index.html`) from its packaged jinja2 template.

The template (`templates/contact_sheet.html.j2`, CSS beside it) renders with autoescape on,
so every text from a run (prompt names, axis values, the API's error messages) is escaped
by default; only the stylesheet is marked safe.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from promptspec.runner._sheet_layout import (
    PromptSheet,
    Totals,
    format_value,
    grid_path,
    result_images,
)

__all__ = ["render_html"]

# Up to this many images of one request are shown side by side; the rest as a "+N" badge.
CELL_IMAGES = 4
TEMPLATES = Path(__file__).resolve().parent / "templates"


def _href(path: str) -> str:
    return quote(path.replace("\\", "/"), safe="/")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _plural_word(n: int, word: str) -> str:
    return word if n == 1 else f"{word}s"


def _tooltip(row: dict[str, Any]) -> str:
    lines = [str(row.get("id") or "")]
    coords = row.get("coords") or {}
    lines += [f"{name} = {format_value(value)}" for name, value in coords.items()]
    lines.append(f"state: {row.get('state') or 'unknown'}")
    if row.get("cost_mc") is not None:
        lines.append(f"cost_mc: {row['cost_mc']}")
    if row.get("error"):
        lines.append(f"error: {row['error']}")
    return "\n".join(line for line in lines if line)


def _tooltips(rows: Sequence[dict[str, Any]]) -> str:
    return "\n\n".join(_tooltip(row) for row in rows)


def _state_class(row: dict[str, Any]) -> str:
    state = "finished" if result_images(row) else str(row.get("state") or "unknown")
    return re.sub(r"[^a-z0-9_-]", "-", state.lower())


@lru_cache(maxsize=1)
def _template() -> Any:
    from jinja2 import Environment, FileSystemLoader

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                      keep_trailing_newline=True)
    env.globals.update(
        href=_href, plural=_plural, plural_word=_plural_word, tooltips=_tooltips,
        state_class=_state_class, result_images=result_images, grid_path=grid_path,
        cell_images=CELL_IMAGES,
        css=Markup((TEMPLATES / "contact_sheet.css").read_text(encoding="utf-8")),
    )
    return env.get_template("contact_sheet.html.j2")


def render_html(title: str, sheets: Sequence[PromptSheet], run_totals: Totals) -> str:
    """The whole contact sheet page."""
    return str(_template().render(title=title, sheets=sheets, totals=run_totals))
