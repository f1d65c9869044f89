"""The emulator's images: PNGs drawn with Pillow that show what was asked for.

Each image is the request's prompt text wrapped on a colour derived from a hash of its
fields, with the values a sweep usually varies (seed, cfg_scale, steps) and the image
index written large enough to read in a contact-sheet thumbnail. Sizes follow `w`/`h` or
`aspect_ratio`, scaled so the longer side is at most 512 px. Rendered lazily, cached.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import textwrap
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from promptspec.request import canonical_json

__all__ = ["MAX_SIDE", "ImageCache", "background", "image_size", "render_png"]

MAX_SIDE = 512
_Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def image_size(params: Mapping[str, Any]) -> tuple[int, int]:
    """(width, height) in pixels: from w/h, else aspect_ratio (1:1 by default), with the
    longer side at most `MAX_SIDE` (never scaled up)."""
    w, h = params.get("w"), params.get("h")
    width: float
    height: float
    if isinstance(w, int) and isinstance(h, int):
        width, height = w, h
    elif isinstance(w, int) or isinstance(h, int):
        side = w if isinstance(w, int) else h
        assert isinstance(side, int)
        width = height = side
    else:
        ratio = params.get("aspect_ratio") or "1:1"
        a, _, b = str(ratio).partition(":")
        try:
            ra, rb = float(a), float(b)
        except ValueError:
            ra = rb = 1.0
        if ra >= rb:
            width, height = MAX_SIDE, MAX_SIDE * rb / ra
        else:
            width, height = MAX_SIDE * ra / rb, MAX_SIDE
    scale = min(1.0, MAX_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def background(tune_id: int, params: Mapping[str, Any]) -> tuple[int, int, int]:
    """A pleasant colour derived from the request's fields (same fields, same colour)."""
    digest = hashlib.sha256(canonical_json({"tune_id": tune_id, "params": params}).encode())
    raw = digest.digest()
    hue = raw[0] / 255
    sat = 0.35 + raw[1] / 255 * 0.3
    val = 0.45 + raw[2] / 255 * 0.35
    r, g, b = colorsys.hsv_to_rgb(hue, sat, val)
    return round(r * 255), round(g * 255), round(b * 255)


def _ink(bg: tuple[int, int, int]) -> tuple[int, int, int]:
    luminance = 0.299 * bg[0] + 0.587 * bg[1] + 0.114 * bg[2]
    return (20, 20, 24) if luminance > 150 else (250, 250, 245)


def _font(size: int) -> _Font:
    return ImageFont.load_default(size=size)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _label_lines(params: Mapping[str, Any], n: int, total: int) -> list[str]:
    lines = [f"#{n}/{total}"]
    for name, label in (("seed", "seed"), ("cfg_scale", "cfg"), ("steps", "steps")):
        if params.get(name) is not None:
            lines.append(f"{label} {_fmt(params[name])}")
    return lines


def render_png(tune_id: int, params: Mapping[str, Any], n: int, total: int) -> bytes:
    """Draw image `n` (1-based) of `total` for one request; PNG bytes."""
    width, height = image_size(params)
    bg = _background_for(tune_id, params)
    ink = _ink(bg)
    img = Image.new("RGB", (width, height), bg)
    draw = ImageDraw.Draw(img)
    short = min(width, height)
    pad = max(4, short // 24)
    big = _font(max(10, short // 9))
    small_size = max(8, short // 18)
    small = _font(small_size)

    y = pad
    for line in _label_lines(params, n, total):
        draw.text((pad, y), line, font=big, fill=ink)
        y += _line_height(big) + pad // 4
    y += pad // 2
    draw.line((pad, y, width - pad, y), fill=ink, width=max(1, short // 160))
    y += pad

    text = str(params.get("text", ""))
    chars = max(8, int((width - 2 * pad) / (small_size * 0.5)))
    for line in textwrap.wrap(text, chars) or [""]:
        step = _line_height(small) + 1
        if y + step > height - pad:
            draw.text((pad, y), "...", font=small, fill=ink)
            break
        draw.text((pad, y), line, font=small, fill=ink)
        y += step
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=False, compress_level=3)
    return out.getvalue()


def _background_for(tune_id: int, params: Mapping[str, Any]) -> tuple[int, int, int]:
    # uploaded files stand as {"file_sha256": ...}: plain JSON, hashable as is
    return background(tune_id, dict(params))


def _line_height(font: _Font) -> int:
    if isinstance(font, ImageFont.FreeTypeFont):
        ascent, descent = font.getmetrics()
        return int(ascent + descent)
    return 11  # Pillow's bitmap fallback font


class ImageCache:
    """A bounded LRU of rendered PNGs, keyed by (prompt id, image index)."""

    def __init__(self, capacity: int = 256) -> None:
        self._capacity = capacity
        self._items: OrderedDict[tuple[int, int], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[int, int]) -> bytes | None:
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
            return data

    def put(self, key: tuple[int, int], data: bytes) -> None:
        with self._lock:
            self._items[key] = data
            self._items.move_to_end(key)
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)
