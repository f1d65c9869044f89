"""Render the contact sheet (`index.html`): one self-contained page, inline CSS, images by
relative path, every text escaped."""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape
from typing import Any
from urllib.parse import quote

from promptspec.runner._sheet_layout import (
    Cell,
    Grid,
    PromptSheet,
    Totals,
    format_value,
    grid_path,
    result_images,
)

__all__ = ["render_html"]

# Up to this many images of one request are shown side by side; the rest as a "+N" badge.
CELL_IMAGES = 4

CSS = """
:root { color-scheme: dark; --bg: #101215; --panel: #181b20; --line: #2a2f37;
  --text: #e7e9ec; --muted: #9198a1; --accent: #7cb7ff; --bad: #ff7b72; --wait: #d8b45a; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header { padding: 20px 28px 16px; border-bottom: 1px solid var(--line); background: var(--panel); }
h1 { margin: 0 0 10px; font-size: 20px; font-weight: 600; }
h1 small { color: var(--muted); font-weight: 400; margin-left: 8px; }
.stats { display: flex; flex-wrap: wrap; gap: 8px; margin: 0; padding: 0; list-style: none; }
.stats li { background: var(--bg); border: 1px solid var(--line); border-radius: 6px;
  padding: 3px 10px; color: var(--muted); }
.stats b { color: var(--text); font-weight: 600; }
.stats li.bad b { color: var(--bad); }
nav { margin-top: 12px; display: flex; flex-wrap: wrap; gap: 6px 14px; }
nav a { color: var(--accent); text-decoration: none; }
nav a:hover { text-decoration: underline; }
main { padding: 8px 28px 40px; }
section { margin-top: 26px; }
h2 { font-size: 18px; margin: 0 0 4px; font-weight: 600; }
.meta { color: var(--muted); margin: 0 0 12px; }
.meta a { color: var(--accent); }
h3 { font-size: 14px; font-weight: 600; margin: 18px 0 8px; color: var(--text); }
h3 .k { color: var(--muted); font-weight: 400; }
.scroll { overflow-x: auto; }
.grids { display: flex; flex-wrap: wrap; gap: 4px 40px; align-items: flex-start; }
table.grid { border-collapse: separate; border-spacing: 6px;
  --cell: clamp(96px, calc((100vw - 320px) / var(--cols)), 200px); }
table.grid th { font-weight: 600; color: var(--text); font-size: 13px; }
th.axis { color: var(--accent); font-weight: 600; text-align: center; padding: 0 0 2px;
  border-bottom: 1px solid var(--line); }
th.corner { color: var(--accent); text-align: right; vertical-align: bottom; padding: 0 8px 4px 0;
  white-space: nowrap; }
th.col { text-align: center; padding: 2px 4px; max-width: var(--cell); overflow-wrap: anywhere; }
th.row { text-align: right; padding: 0 8px 0 0; max-width: 220px; overflow-wrap: anywhere; }
td.cell { width: var(--cell); height: 1px; vertical-align: top; padding: 0; }
.in { height: 100%; display: flex; flex-direction: column; }
.imgs { display: grid; gap: 3px; width: var(--cell); position: relative;
  grid-template-columns: repeat(var(--n, 1), 1fr); }
.imgs a { display: block; line-height: 0; border-radius: 4px; overflow: hidden;
  background: var(--panel); outline: 1px solid var(--line); }
.imgs a:hover { outline: 2px solid var(--accent); }
.imgs img { width: 100%; height: auto; display: block; }
.more { position: absolute; right: 6px; bottom: 6px; background: rgba(0, 0, 0, .72);
  color: #fff; font-size: 12px; padding: 1px 7px; border-radius: 10px; line-height: 1.5; }
.status { width: var(--cell); flex: 1; min-height: calc(var(--cell) * .75);
  display: flex; flex-direction: column;
  align-items: center; justify-content: center; gap: 6px; padding: 10px; text-align: center;
  background: repeating-linear-gradient(135deg, #1c1f24 0 10px, #20242a 10px 20px);
  border: 1px dashed var(--line); border-radius: 4px; color: var(--muted); }
.status .state { font-weight: 600; text-transform: uppercase; letter-spacing: .06em;
  font-size: 12px; color: var(--wait); }
.s-failed .status .state { color: var(--bad); }
.s-missing .status .state { color: var(--muted); }
.status .err { font-size: 12px; overflow-wrap: anywhere; max-height: 7.5em; overflow: hidden; }
.cap { color: var(--muted); font-size: 11px; margin-top: 3px; width: var(--cell);
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
"""


def _e(text: Any) -> str:
    return escape(str(text), quote=True)


def _href(path: str) -> str:
    return _e(quote(path.replace("\\", "/"), safe="/"))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _chip(count: str, word: str, css: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    return f"<li{cls}><b>{_e(count)}</b> {_e(word)}</li>"


def _stats(totals: Totals) -> str:
    items = [
        _chip(str(totals.requests), "request" if totals.requests == 1 else "requests"),
        _chip(str(totals.images), "image" if totals.images == 1 else "images"),
        _chip(str(totals.failed), "failed", "bad" if totals.failed else ""),
    ]
    if totals.cost_label is not None:
        items.append(_chip(totals.cost_label, "cost_mc"))
    return '<ul class="stats">' + "".join(items) + "</ul>"


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


def _status(state: str, error: str = "") -> str:
    err = f'<span class="err">{_e(error)}</span>' if error else ""
    return f'<div class="status"><span class="state">{_e(state)}</span>{err}</div>'


def _cell(cell: Cell) -> str:
    caption = " · ".join(value for _, value in cell.coords)
    if not cell.results:
        title = "\n".join(f"{name} = {value}" for name, value in cell.coords)
        body = _status("missing", "no request at this point")
        return f'<td class="cell s-missing" title="{_e(title)}"><div class="in">{body}</div></td>'
    parts = []
    for row in cell.results:
        images = result_images(row)
        state = str(row.get("state") or "unknown")
        if images:
            shown = images[:CELL_IMAGES]
            links = "".join(
                f'<a href="{_href(p)}"><img src="{_href(p)}" alt="{_e(p)}" loading="lazy"></a>'
                for p in shown
            )
            more = len(images) - len(shown)
            badge = f'<span class="more">+{more}</span>' if more else ""
            columns = 1 if len(shown) == 1 else 2
            parts.append(f'<div class="imgs" style="--n:{columns}">{links}{badge}</div>')
        else:
            parts.append(_status(state, str(row.get("error") or "")))
    if caption:
        parts.append(f'<div class="cap">{_e(caption)}</div>')
    first = cell.results[0]
    tips = "\n\n".join(_tooltip(row) for row in cell.results)
    state = "finished" if result_images(first) else str(first.get("state") or "unknown")
    css = re.sub(r"[^a-z0-9_-]", "-", state.lower())
    inner = f'<div class="in">{"".join(parts)}</div>'
    return f'<td class="cell s-{css}" title="{_e(tips)}">{inner}</td>'


def _table(grid: Grid) -> str:
    cols = max(1, len(grid.cells[0]) if grid.cells else 1)
    out = [f'<div class="scroll"><table class="grid" style="--cols:{cols}">']
    if grid.col_axis is not None:
        corner = ""
        if grid.row_axis is not None:
            corner = f'<th class="corner" rowspan="2" scope="col">{_e(grid.row_axis.label)}</th>'
        out.append(
            f'<thead><tr>{corner}<th class="axis" colspan="{cols}" scope="colgroup">'
            f"{_e(grid.col_axis.label)}</th></tr><tr>"
        )
        out += [f'<th class="col" scope="col">{_e(label)}</th>' for label in grid.col_labels]
        out.append("</tr></thead>")
    out.append("<tbody>")
    row_labels = grid.row_labels
    for r, line in enumerate(grid.cells):
        out.append("<tr>")
        if row_labels:
            out.append(f'<th class="row" scope="row">{_e(row_labels[r])}</th>')
        out += [_cell(cell) for cell in line]
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def _section(n: int, sheet: PromptSheet) -> str:
    axes = " × ".join(axis.label for axis in sheet.axes) or "no sweep"
    t = sheet.totals
    counts = f"{_plural(t.requests, 'request')} · {_plural(t.images, 'image')}"
    if t.failed:
        counts += f" · {t.failed} failed"
    if t.cost_label is not None:
        counts += f" · {t.cost_label} cost_mc"
    out = [
        f'<section id="p{n}"><h2>{_e(sheet.prompt)}</h2>',
        f'<p class="meta">{_e(axes)} · {_e(counts)} · '
        f'<a href="{_href(grid_path(sheet.prompt))}">grid image</a></p>',
    ]
    out.append('<div class="grids">')
    for grid in sheet.grids:
        out.append('<div class="block">')
        if grid.heading:
            heading = " · ".join(
                f'<span class="k">{_e(name)} =</span> {_e(value)}' for name, value in grid.heading
            )
            out.append(f"<h3>{heading}</h3>")
        out.append(_table(grid) + "</div>")
    out.append("</div></section>")
    return "\n".join(out)


def render_html(title: str, sheets: Sequence[PromptSheet], run_totals: Totals) -> str:
    """The whole contact sheet page."""
    nav = "".join(f'<a href="#p{n}">{_e(sheet.prompt)}</a>' for n, sheet in enumerate(sheets))
    body = "\n".join(_section(n, sheet) for n, sheet in enumerate(sheets))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)} · promptspec</title>\n<style>{CSS}</style></head>\n<body>\n"
        f"<header><h1>Contact sheet<small>{_e(title)}</small></h1>\n{_stats(run_totals)}\n"
        f"<nav>{nav}</nav></header>\n<main>\n{body}\n</main>\n</body></html>\n"
    )
