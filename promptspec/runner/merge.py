"""`promptspec sheet`: several run folders (shards, or runners of one sweep) merged into one.

Each `OUT/results.jsonl` is read; a request found in several outs takes its finished line
(else its first); its images are hard-linked (copied across file systems) into
`DIR/images/<prompt>/<id>-<n>.<ext>`, as `run` lays them out; then `DIR/results.jsonl` and
the contact sheet (`DIR/index.html`, `DIR/grids/`) are written from the merged lines.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from promptspec.errors import UsageError
from promptspec.paths import atomic_write

__all__ = ["merge_outs"]


def _read(out: Path) -> list[dict[str, Any]]:
    path = out / "results.jsonl"
    if not path.is_file():
        raise UsageError(f"{out}: no results.jsonl (not a run folder?)")
    rows: list[dict[str, Any]] = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as err:
                raise UsageError(f"{path}:{n}:1: not a JSON line: {err}") from None
            if not isinstance(row, dict) or not isinstance(row.get("id"), str):
                raise UsageError(f"{path}:{n}:1: not a result line (no id)")
            rows.append(row)
    return rows


def _place(src: Path, dest: Path) -> None:
    """`dest` becomes `src`'s bytes: a hard link when possible, else a copy, renamed in."""
    if dest.exists() and (dest.samefile(src) or dest.stat().st_size == src.stat().st_size):
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    try:
        try:
            os.link(src, tmp)
        except OSError:
            shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            tmp.unlink()


def merge_outs(outs: list[Path], dest: Path) -> list[dict[str, Any]]:
    """Merge the outs into `dest`; the merged result lines, in prompt then index order."""
    chosen: dict[str, tuple[dict[str, Any], Path]] = {}
    prompts: dict[str, int] = {}
    for out in outs:
        for row in _read(out):
            prompts.setdefault(str(row.get("prompt")), len(prompts))
            have = chosen.get(row["id"])
            if have is None or (have[0].get("state") != "finished"
                                and row.get("state") == "finished"):
                chosen[row["id"]] = (row, out)
    dest.mkdir(parents=True, exist_ok=True)
    merged: list[dict[str, Any]] = []
    for row, out in chosen.values():
        for rel in row.get("images") or []:
            src = out / rel
            if isinstance(rel, str) and not Path(rel).is_absolute() and ".." not in Path(
                    rel).parts and src.is_file():
                _place(src, dest / rel)
        merged.append(row)
    merged.sort(key=lambda r: (prompts[str(r.get("prompt"))],
                               r.get("index") if isinstance(r.get("index"), int) else 0))
    atomic_write(dest / "results.jsonl",
                 "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in merged))
    from promptspec.runner.sheet import write_contact_sheet

    write_contact_sheet(dest, merged)
    return merged
