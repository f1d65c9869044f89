"""The contact sheet: index.html tables laid out by sweep axes, and the grid PNGs."""

from __future__ import annotations

import itertools
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops

from promptspec.runner._sheet_layout import build_sheets, derive_axes
from promptspec.runner._sheet_png import MAX_CELLS, THUMB
from promptspec.runner.sheet import write_contact_sheet

RED, GREEN, BLUE, YELLOW = (230, 20, 20), (20, 210, 40), (30, 40, 235), (240, 220, 10)
MAGENTA, CYAN, ORANGE, WHITE = (220, 20, 200), (10, 220, 230), (250, 130, 0), (250, 250, 250)
COLOURS = [RED, GREEN, BLUE, YELLOW, MAGENTA, CYAN, ORANGE, WHITE]
GREY = (64, 68, 75)


# --- building a run folder -------------------------------------------------------------------


class Run:
    """A run folder under construction: solid-colour PNGs and their results rows."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        prompt: str,
        coords: dict[str, Any],
        colours: list[tuple[int, int, int]] | None = None,
        state: str = "finished",
        error: str | None = None,
        cost_mc: int | None = None,
        size: tuple[int, int] = (64, 96),
    ) -> dict[str, Any]:
        rid = f"ps_{len(self.rows):016x}"
        images = []
        for n, colour in enumerate(colours or []):
            rel = f"images/{prompt}/{rid}-{n}.png"
            (self.out / rel).parent.mkdir(parents=True, exist_ok=True)
            Image.new("RGB", size, colour).save(self.out / rel)
            images.append(rel)
        index = sum(1 for r in self.rows if r["prompt"] == prompt)
        row = {
            "id": rid,
            "prompt": prompt,
            "index": index,
            "coords": coords,
            "tune_id": 1234,
            "remote_id": len(self.rows) + 1,
            "state": state,
            "images": images,
            "cost_mc": cost_mc,
            "error": error,
        }
        self.rows.append(row)
        return row

    def write(self) -> Page:
        write_contact_sheet(self.out, self.rows)
        page = Page()
        page.feed((self.out / "index.html").read_text(encoding="utf-8"))
        return page

    def grid(self, prompt: str) -> Image.Image:
        with Image.open(self.out / "grids" / f"{prompt}.png") as im:
            return im.convert("RGB")


# --- reading the page ------------------------------------------------------------------------


class Page(HTMLParser):
    """Tables as lists of rows of cells; each cell a dict of tag, class, text, title, links."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[dict[str, Any]]]] = []
        self.headings: dict[str, list[str]] = {"h2": [], "h3": []}
        self.stats: list[str] = []
        self.tags: list[str] = []
        self._cell: dict[str, Any] | None = None
        self._heading: str | None = None
        self._text: list[str] = []
        self._in_stats = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.append(tag)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = {"tag": tag, "class": a.get("class", ""), "title": a.get("title")}
            self._cell.update(text="", imgs=[], hrefs=[], colspan=a.get("colspan"))
            self.tables[-1][-1].append(self._cell)
        elif tag == "img" and self._cell is not None:
            self._cell["imgs"].append(a["src"])
        elif tag == "a" and self._cell is not None:
            self._cell["hrefs"].append(a["href"])
        elif tag in self.headings:
            self._heading, self._text = tag, []
        elif tag == "ul" and "stats" in a.get("class", ""):
            self._in_stats = True
        elif tag == "li" and self._in_stats:
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self._cell["text"] = " ".join(self._cell["text"].split())
            self._cell = None
        elif tag == self._heading:
            self.headings[tag].append(" ".join("".join(self._text).split()))
            self._heading = None
        elif tag == "li" and self._in_stats:
            self.stats.append(" ".join("".join(self._text).split()))
        elif tag == "ul":
            self._in_stats = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell["text"] += " " + data
        self._text.append(data)


def cells(table: list[list[dict[str, Any]]], tag: str, cls: str = "") -> list[dict[str, Any]]:
    return [
        c
        for row in table
        for c in row
        if c["tag"] == tag and (not cls or cls in c["class"].split())
    ]


def texts(table: list[list[dict[str, Any]]], tag: str, cls: str = "") -> list[str]:
    return [c["text"] for c in cells(table, tag, cls)]


def body_rows(table: list[list[dict[str, Any]]]) -> list[list[dict[str, Any]]]:
    return [row for row in table if any(c["tag"] == "td" for c in row)]


# --- reading the grid image ------------------------------------------------------------------


def boxes(im: Image.Image, colours: list[tuple[int, int, int]]) -> dict[Any, tuple[int, ...]]:
    """The bounding box of each colour's pixels (exact match), for the colours present."""
    bands = im.split()
    found: dict[Any, tuple[int, ...]] = {}
    for colour in colours:
        r, g, b = (
            band.point(lambda v, c=c: 255 if v == c else 0)
            for band, c in zip(bands, colour, strict=True)
        )
        box = ImageChops.darker(ImageChops.darker(r, g), b).getbbox()
        if box:
            found[colour] = box
    return found


def centre(box: tuple[int, ...]) -> tuple[float, float]:
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


# --- axes ------------------------------------------------------------------------------------


def rows_of(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"prompt": "p", "index": i, "coords": c} for i, c in enumerate(points)]


def test_axes_of_a_product_stay_apart_in_coords_order() -> None:
    points = [{"seed": s, "cfg": c} for s, c in itertools.product([3, 1], [5.0, 7.5, 10.0])]
    axes = derive_axes(rows_of(points))
    assert [a.names for a in axes] == [("seed",), ("cfg",)]
    assert [a.values for a in axes] == [((3,), (1,)), ((5.0,), (7.5,), (10.0,))]


def test_lock_step_keys_form_one_axis() -> None:
    points = [
        {"artist": a, "seed": s, "steps": t}
        for a, (s, t) in itertools.product(["A", "B"], [(1, 20), (2, 30), (3, 40)])
    ]
    axes = derive_axes(rows_of(points))
    assert [a.label for a in axes] == ["artist", "seed / steps"]
    assert [axes[1].value_label(i) for i in range(3)] == ["1 / 20", "2 / 30", "3 / 40"]


def test_a_key_that_only_determines_the_other_one_way_is_its_own_axis() -> None:
    # x -> y is a function but y -> x is not: not lock-step.
    points = [{"x": 1, "y": "a"}, {"x": 2, "y": "a"}, {"x": 3, "y": "b"}]
    assert [a.names for a in derive_axes(rows_of(points))] == [("x",), ("y",)]


def test_values_keep_their_json_type_apart() -> None:
    axes = derive_axes(rows_of([{"v": 1}, {"v": 1.0}, {"v": True}, {"v": "1"}]))
    assert [axes[0].value_label(i) for i in range(4)] == ["1", "1.0", "true", "1"]


def test_more_than_two_axes_make_one_grid_per_leading_combination() -> None:
    points = [
        {"a": a, "b": b, "c": c, "d": d}
        for a, b, c, d in itertools.product([1, 2], ["x", "y"], [0, 1, 2], [7, 8])
    ]
    (sheet,) = build_sheets(rows_of(points))
    assert [g.heading for g in sheet.grids] == [
        (("a", "1"), ("b", "x")),
        (("a", "1"), ("b", "y")),
        (("a", "2"), ("b", "x")),
        (("a", "2"), ("b", "y")),
    ]
    grid = sheet.grids[3]
    assert grid.row_labels == ("0", "1", "2") and grid.col_labels == ("7", "8")
    assert grid.cells[2][0].results[0]["coords"] == {"a": 2, "b": "y", "c": 2, "d": 7}


# --- index.html and grids --------------------------------------------------------------------


def test_no_axes_make_one_row_of_cells(tmp_path: Path) -> None:
    run = Run(tmp_path)
    row = run.add("solo", {}, [RED])
    page = run.write()
    (table,) = page.tables
    assert cells(table, "th") == []
    (cell,) = cells(table, "td")
    assert cell["imgs"] == [row["images"][0]] and cell["hrefs"] == [row["images"][0]]
    assert row["id"] in cell["title"]
    im = run.grid("solo")
    box = boxes(im, [RED])[RED]
    assert (box[2] - box[0], box[3] - box[1]) == (171, THUMB)  # 64x96 scaled to 256 tall
    assert im.width < 171 + 200 + 300


def test_one_axis_makes_columns(tmp_path: Path) -> None:
    run = Run(tmp_path)
    for seed, colour in zip([1, 2, 3], [RED, GREEN, BLUE], strict=True):
        run.add("seeds", {"seed": seed}, [colour])
    (table,) = run.write().tables
    assert texts(table, "th", "axis") == ["seed"]
    assert texts(table, "th", "col") == ["1", "2", "3"]
    assert cells(table, "th", "row") == [] and cells(table, "th", "corner") == []
    (line,) = body_rows(table)
    assert [c["imgs"][0].split("/")[-1] for c in line] == [f"ps_{i:016x}-0.png" for i in range(3)]
    found = boxes(run.grid("seeds"), [RED, GREEN, BLUE])
    xs = [centre(found[c])[0] for c in (RED, GREEN, BLUE)]
    ys = {centre(found[c])[1] for c in (RED, GREEN, BLUE)}
    assert xs == sorted(xs) and xs[1] - xs[0] >= 171 and len(ys) == 1


def test_two_axes_make_rows_by_the_first_and_columns_by_the_second(tmp_path: Path) -> None:
    run = Run(tmp_path)
    grid = {(5.0, "Van Gogh"): RED, (5.0, "Monet"): GREEN, (7.5, "Van Gogh"): BLUE}
    for (cfg, artist), colour in grid.items():
        run.add("xy", {"cfg_scale": cfg, "artist": artist}, [colour])
    run.add("xy", {"cfg_scale": 7.5, "artist": "Monet"}, state="failed", error="422: bad text")
    (table,) = run.write().tables
    assert texts(table, "th", "corner") == ["cfg_scale"]
    assert texts(table, "th", "axis") == ["artist"]
    assert texts(table, "th", "col") == ["Van Gogh", "Monet"]
    assert texts(table, "th", "row") == ["5.0", "7.5"]
    first, second = body_rows(table)
    assert [len(c["imgs"]) for row in (first, second) for c in row if c["tag"] == "td"] == [
        1,
        1,
        1,
        0,
    ]
    failed = second[-1]
    assert "s-failed" in failed["class"] and "failed" in failed["text"]
    assert "422: bad text" in failed["text"]
    assert "cfg_scale = 7.5" in failed["title"] and "artist = Monet" in failed["title"]

    im = run.grid("xy")
    found = boxes(im, [RED, GREEN, BLUE])
    (rx, ry), (gx, gy), (bx, by) = (centre(found[c]) for c in (RED, GREEN, BLUE))
    assert rx == bx < gx and ry == gy < by
    # The failed cell: grey where green's column meets blue's row (above the centred text).
    assert im.getpixel((int(gx), int(by) - 100)) == GREY


def test_three_axes_stack_one_grid_per_leading_value(tmp_path: Path) -> None:
    run = Run(tmp_path)
    colours = iter(COLOURS)
    for seed, cfg, artist in itertools.product([1, 2], [5.0, 7.5], ["A", "B"]):
        run.add("cube", {"seed": seed, "cfg_scale": cfg, "artist": artist}, [next(colours)])
    page = run.write()
    assert page.headings["h3"] == ["seed = 1", "seed = 2"]
    assert len(page.tables) == 2
    for table in page.tables:
        assert texts(table, "th", "row") == ["5.0", "7.5"]
        assert texts(table, "th", "col") == ["A", "B"]
    im = run.grid("cube")
    found = boxes(im, COLOURS)
    assert len(found) == 8
    # seed 2's grid (the last four colours) lies below seed 1's, in the same columns.
    assert centre(found[COLOURS[4]])[1] > centre(found[COLOURS[3]])[1] + THUMB
    assert centre(found[COLOURS[4]])[0] == centre(found[COLOURS[0]])[0]
    assert im.height > 4 * THUMB


def test_zip_members_share_one_axis(tmp_path: Path) -> None:
    run = Run(tmp_path)
    for seed, steps, colour in [(1, 20, RED), (2, 30, GREEN), (3, 40, BLUE)]:
        run.add("pairs", {"seed": seed, "steps": steps}, [colour])
    (table,) = run.write().tables
    assert texts(table, "th", "axis") == ["seed / steps"]
    assert texts(table, "th", "col") == ["1 / 20", "2 / 30", "3 / 40"]
    assert len(body_rows(table)) == 1
    found = boxes(run.grid("pairs"), [RED, GREEN, BLUE])
    assert [centre(found[c])[0] for c in (RED, GREEN, BLUE)] == sorted(
        centre(found[c])[0] for c in (RED, GREEN, BLUE)
    )


def test_missing_points_are_marked(tmp_path: Path) -> None:
    run = Run(tmp_path)
    run.add("gaps", {"a": 1, "b": "x"}, [RED])
    run.add("gaps", {"a": 2, "b": "y"}, [GREEN])
    run.add("gaps", {"a": 1, "b": "y"}, [BLUE])
    (table,) = run.write().tables
    second = body_rows(table)[1]
    assert "s-missing" in second[1]["class"] and "missing" in second[1]["text"]
    im = run.grid("gaps")
    found = boxes(im, [RED, GREEN])
    assert im.getpixel((int(centre(found[RED])[0]), int(centre(found[GREEN])[1]) - 100)) == GREY


def test_every_text_is_escaped(tmp_path: Path) -> None:
    run = Run(tmp_path)
    nasty = "a <b>bold</b> & \"quoted\" 'single'"
    run.add("esc", {"text_var": nasty, "seed": 1}, [RED])
    run.add(
        "esc",
        {"text_var": "<script>alert(1)</script>", "seed": 2},
        state="failed",
        error="<img src=x onerror=alert(1)> & more",
    )
    page = run.write()
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "<b>bold" not in html and "<img src=x" not in html
    assert set(page.tags) <= {
        "html", "head", "meta", "title", "style", "body", "header", "h1", "small", "ul",
        "li", "b", "nav", "a", "main", "section", "h2", "p", "div", "h3", "span", "table",
        "thead", "tbody", "tr", "th", "td", "img",
    }  # fmt: skip
    (table,) = page.tables
    # Two rows: text_var and seed move in lock-step, so they share one axis.
    assert texts(table, "th", "col") == [f"{nasty} / 1", "<script>alert(1)</script> / 2"]
    assert nasty in body_rows(table)[0][0]["title"]
    assert "<img src=x onerror=alert(1)> & more" in body_rows(table)[0][1]["text"]


def test_page_is_self_contained_with_relative_links(tmp_path: Path) -> None:
    run = Run(tmp_path)
    run.add("rel", {"seed": 1}, [RED])
    run.write()
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html
    assert "<link" not in html and "<script" not in html
    assert 'src="images/rel/ps_0000000000000000-0.png"' in html
    assert 'href="grids/rel.png"' in html


def test_several_images_show_side_by_side_and_a_badge_beyond_four(tmp_path: Path) -> None:
    run = Run(tmp_path)
    run.add("multi", {"seed": 1}, [RED, GREEN, BLUE])
    run.add("multi", {"seed": 2}, [YELLOW, MAGENTA, CYAN, ORANGE, WHITE, RED])
    (table,) = run.write().tables
    three, six = body_rows(table)[0]
    assert len(three["imgs"]) == 3 and "+" not in three["text"]
    assert len(six["imgs"]) == 4 and "+2" in six["text"]
    found = boxes(run.grid("multi"), [RED, GREEN, YELLOW, MAGENTA])
    assert set(found) == {RED, YELLOW}  # the grid image shows each request's first image


def test_header_totals(tmp_path: Path) -> None:
    run = Run(tmp_path)
    run.add("a", {"seed": 1}, [RED, GREEN], cost_mc=120)
    run.add("a", {"seed": 2}, state="failed", error="boom", cost_mc=30)
    run.add("b", {}, [BLUE])
    page = run.write()
    assert page.stats == ["3 requests", "3 images", "1 failed", "150 cost_mc"]
    assert page.headings["h2"] == ["a", "b"]


def test_header_without_costs_leaves_cost_out(tmp_path: Path) -> None:
    run = Run(tmp_path)
    run.add("a", {"seed": 1}, [RED])
    assert run.write().stats == ["1 request", "1 image", "0 failed"]


def test_unreadable_image_is_drawn_grey(tmp_path: Path) -> None:
    run = Run(tmp_path)
    run.add("broken", {"seed": 1}, [RED])
    bad = run.add("broken", {"seed": 2}, [GREEN])
    (tmp_path / bad["images"][0]).write_bytes(b"not a png")
    run.write()
    im = run.grid("broken")
    red = boxes(im, [RED])[RED]
    assert im.getpixel((red[2] + 40, red[1] + 20)) == GREY


def test_huge_sweeps_are_capped_in_the_grid_image(tmp_path: Path) -> None:
    run = Run(tmp_path)
    palette = [(i, 255 - i, 128) for i in range(0, 240, 8)]  # 30 distinct colours
    for i, colour in enumerate(palette):
        run.add("wide", {"seed": i}, [colour], size=(8, 8))
    for i, j, k in itertools.product(range(3), range(10), range(12)):
        run.add("deep", {"a": i, "b": j, "c": k}, [(i * 80, j * 20, k * 20)], size=(8, 8))
    page = run.write()
    assert len(cells(page.tables[0], "td")) == 30  # the page keeps every cell
    wide = run.grid("wide")
    shown = boxes(wide, palette)
    assert 1 <= len(shown) < len(palette) and palette[0] in shown and palette[-1] not in shown
    deep = run.grid("deep")
    assert deep.width * deep.height <= (MAX_CELLS + 20) * (THUMB + 6) ** 2


def test_importing_the_sheet_does_not_import_pillow() -> None:
    code = "import sys, promptspec.runner.sheet; print('PIL' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("prompt", ["with space", "../up"])
def test_odd_prompt_names_stay_inside_grids(tmp_path: Path, prompt: str) -> None:
    run = Run(tmp_path / "out")
    run.rows.append({"id": "ps_1", "prompt": prompt, "index": 0, "coords": {}, "state": "failed"})
    run.write()
    written = [p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*")]
    assert sorted(written) == [
        "grids",
        "grids/" + prompt.replace(" ", "_").replace(".", "_").replace("/", "_") + ".png",
        "index.html",
    ]
