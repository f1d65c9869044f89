"""Image downloads: `OUT/images/<prompt>/<request id>-<n>.<ext>`, written whole or not at all.

Each image goes to a temporary name in its folder and is renamed into place, so a file
that exists is complete; a resumed run skips every image whose file exists. `n` counts
a prompt's images from 0, like a request's `index`.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

from promptspec.paths import atomic_write

__all__ = ["EXTENSIONS", "download_images", "existing_image", "extension"]

EXTENSIONS = {".png": "png", ".jpg": "jpg", ".jpeg": "jpg", ".webp": "webp", ".gif": "gif"}
_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/jpg": "jpg", "image/webp": "webp",
          "image/gif": "gif"}

Fetch = Callable[[str], Awaitable[tuple[bytes, str]]]


def extension(url: str, content_type: str = "") -> str:
    """The file extension of an image: from the URL's path, else its content type, else png."""
    suffix = os.path.splitext(urlsplit(url).path)[1].lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    ctype = content_type.split(";")[0].strip().lower()
    return _TYPES.get(ctype, "png")


def existing_image(folder: Path, stem: str) -> Path | None:
    """A complete image already written under `stem` (any known extension)."""
    for ext in ("png", "jpg", "webp", "gif"):
        path = folder / f"{stem}.{ext}"
        if path.is_file():
            return path
    return None


def _safe_component(name: str) -> str:
    # prompt names match [A-Za-z_][A-Za-z0-9_-]*; guard anyway against path separators
    return name.replace("/", "_").replace("\\", "_").replace("..", "_") or "_"


async def download_images(
    fetch: Fetch, urls: list[str], out_dir: Path, prompt: str, request_id: str
) -> list[str]:
    """Download what is missing; return every image's path relative to `out_dir`."""
    folder = out_dir / "images" / _safe_component(prompt)
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[str] = []
    for n, url in enumerate(urls):
        stem = f"{request_id}-{n}"
        have = existing_image(folder, stem)
        if have is None:
            data, ctype = await fetch(url)
            have = folder / f"{stem}.{extension(url, ctype)}"
            atomic_write(have, data, sync=False)
        paths.append(have.relative_to(out_dir).as_posix())
    return paths
