"""Lay out one prompt's results as grids: derive its axes from the rows' coords and place
every request in a cell. Pure data, shared by the HTML contact sheet and the grid images."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Axis",
    "Cell",
    "Grid",
    "PromptSheet",
    "Totals",
    "build_sheets",
    "format_value",
    "grid_path",
    "result_images",
    "totals",
]

Row = dict[str, Any]


def format_value(value: Any) -> str:
    """A coords value as a label: strings as written, everything else as JSON (`7.5`, `true`)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _key(value: Any) -> str:
    # JSON keeps 1, 1.0 and true apart, which a Python dict key would not.
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def result_images(row: Row) -> list[str]:
    """The image paths of a result row (relative to the run folder), tolerating bad rows."""
    images = row.get("images")
    if not isinstance(images, list):
        return []
    return [str(path) for path in images if isinstance(path, str) and path]


@dataclass(frozen=True)
class Axis:
    """One axis of a prompt: one coords key, or several keys that move in lock-step (a zip)."""

    names: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...]

    @property
    def label(self) -> str:
        return " / ".join(self.names)

    def value_label(self, i: int) -> str:
        return " / ".join(format_value(v) for v in self.values[i])

    def key_of(self, coords: dict[str, Any]) -> tuple[str, ...]:
        return tuple(_key(coords.get(name)) for name in self.names)


@dataclass(frozen=True)
class Cell:
    """The requests at one point of a grid; no requests means the point is missing."""

    results: tuple[Row, ...]
    coords: tuple[tuple[str, str], ...]

    @property
    def state(self) -> str:
        if not self.results:
            return "missing"
        return str(self.results[0].get("state") or "unknown")


@dataclass(frozen=True)
class Grid:
    """One table: rows by `row_axis` (or a single row), columns by `col_axis` (or one column
    per request when the prompt has no axes), headed by the leading axes' values."""

    heading: tuple[tuple[str, str], ...]
    row_axis: Axis | None
    col_axis: Axis | None
    cells: tuple[tuple[Cell, ...], ...]

    @property
    def row_labels(self) -> tuple[str, ...]:
        axis = self.row_axis
        return tuple(axis.value_label(i) for i in range(len(axis.values))) if axis else ()

    @property
    def col_labels(self) -> tuple[str, ...]:
        axis = self.col_axis
        return tuple(axis.value_label(i) for i in range(len(axis.values))) if axis else ()


@dataclass(frozen=True)
class Totals:
    requests: int
    images: int
    failed: int
    cost_mc: float | None

    @property
    def cost_label(self) -> str | None:
        if self.cost_mc is None:
            return None
        cost = self.cost_mc
        return f"{int(cost):,}" if float(cost).is_integer() else f"{cost:,.2f}"


@dataclass(frozen=True)
class PromptSheet:
    prompt: str
    axes: tuple[Axis, ...]
    grids: tuple[Grid, ...]
    totals: Totals


def totals(rows: Iterable[Row]) -> Totals:
    """Requests, images, failed requests and the summed `cost_mc` (None when none is given)."""
    requests = images = failed = 0
    cost: float | None = None
    for row in rows:
        requests += 1
        images += len(result_images(row))
        failed += row.get("state") == "failed"
        value = row.get("cost_mc")
        if isinstance(value, int | float) and not isinstance(value, bool):
            cost = (cost or 0) + value
    return Totals(requests, images, failed, cost)


def _lock_step(rows: Sequence[Row], a: str, b: str) -> bool:
    forward: dict[str, str] = {}
    backward: dict[str, str] = {}
    for row in rows:
        coords = row["coords"]
        ka, kb = _key(coords.get(a)), _key(coords.get(b))
        if forward.setdefault(ka, kb) != kb or backward.setdefault(kb, ka) != ka:
            return False
    return True


def derive_axes(rows: Sequence[Row]) -> tuple[Axis, ...]:
    """Coords keys in first-seen order; keys in lock-step with an earlier key join its axis."""
    names: list[str] = []
    for row in rows:
        for name in row["coords"]:
            if name not in names:
                names.append(name)
    groups: list[list[str]] = []
    for name in names:
        for group in groups:
            if _lock_step(rows, group[0], name):
                group.append(name)
                break
        else:
            groups.append([name])
    axes = []
    for group in groups:
        seen: dict[tuple[str, ...], tuple[Any, ...]] = {}
        for row in rows:
            coords = row["coords"]
            point = tuple(coords.get(name) for name in group)
            seen.setdefault(tuple(_key(v) for v in point), point)
        axes.append(Axis(tuple(group), tuple(seen.values())))
    return tuple(axes)


def _coords_labels(axes: Sequence[Axis], keys: Sequence[int]) -> tuple[tuple[str, str], ...]:
    return tuple((axis.label, axis.value_label(i)) for axis, i in zip(axes, keys, strict=True))


def _grids(rows: Sequence[Row], axes: tuple[Axis, ...]) -> tuple[Grid, ...]:
    if not axes:
        cells = tuple(Cell((row,), ()) for row in rows)
        return (Grid((), None, None, (cells,)),)
    index = [
        {tuple(_key(v) for v in value): i for i, value in enumerate(axis.values)} for axis in axes
    ]
    placed: dict[tuple[int, ...], list[Row]] = {}
    for row in rows:
        point = tuple(index[n][axis.key_of(row["coords"])] for n, axis in enumerate(axes))
        placed.setdefault(point, []).append(row)
    lead_axes: tuple[Axis, ...]
    row_axis: Axis | None
    if len(axes) == 1:
        lead_axes, row_axis, col_axis = (), None, axes[0]
    else:
        lead_axes, row_axis, col_axis = axes[:-2], axes[-2], axes[-1]
    leads: list[tuple[int, ...]] = []
    for point in placed:
        lead = point[: len(lead_axes)]
        if lead not in leads:
            leads.append(lead)
    grids = []
    n_rows = len(row_axis.values) if row_axis else 1
    for lead in leads:
        table = []
        for r in range(n_rows):
            line = []
            for c in range(len(col_axis.values)):
                point = (*lead, r, c) if row_axis else (*lead, c)
                line.append(Cell(tuple(placed.get(point, ())), _coords_labels(axes, point)))
            table.append(tuple(line))
        grids.append(Grid(_coords_labels(lead_axes, lead), row_axis, col_axis, tuple(table)))
    return tuple(grids)


def build_sheets(results: Iterable[Row]) -> list[PromptSheet]:
    """One sheet per prompt, in first-seen order; each prompt's rows in expansion order."""
    by_prompt: dict[str, list[Row]] = {}
    for row in results:
        clean = dict(row)
        if not isinstance(clean.get("coords"), dict):
            clean["coords"] = {}
        by_prompt.setdefault(str(clean.get("prompt") or ""), []).append(clean)
    sheets = []
    for prompt, rows in by_prompt.items():
        rows.sort(key=lambda r: r["index"] if isinstance(r.get("index"), int) else 0)
        axes = derive_axes(rows)
        sheets.append(PromptSheet(prompt, axes, _grids(rows, axes), totals(rows)))
    return sheets


def grid_path(prompt: str) -> str:
    """The grid image of a prompt, relative to the run folder (`grids/<prompt>.png`)."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", prompt) or "_"
    return f"grids/{safe}.png"
