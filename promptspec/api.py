"""The public Python API: what the command line calls, and what a Python user may call too.

    expand(paths, prompt=None)   -> Iterator[Request]    (raises SpecError on errors)
    count(paths, prompt=None)    -> list[(spec, prompt, n)], without enumerating
    lint(paths)                  -> list[Diagnostic]      (every finding, severities applied)
    merge_sheets(outs, dest)     -> merged results lines  (`promptspec sheet`)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from promptspec.diagnostics import Diagnostic, sort_key
from promptspec.errors import SpecError, UsageError
from promptspec.expand import PreparedPrompt, expand_prompt, prepare
from promptspec.request import Request

__all__ = ["count", "expand", "lint", "merge_sheets", "prepared"]


def lint(paths: Sequence[str]) -> list[Diagnostic]:
    """Every finding for the given spec files, severities applied, sorted."""
    from promptspec.lint import lint_files

    return lint_files(paths)


def prepared(paths: Sequence[str], prompt: str | None = None) -> Iterator[PreparedPrompt]:
    """Each prompt of each spec, prepared for expansion, after checking the specs lint clean."""
    from promptspec.lint import lint_paths

    result = lint_paths(paths)
    errors = [d for d in result.diagnostics if d.severity == "error"]
    if errors:
        raise SpecError("\n".join(str(d) for d in sorted(errors, key=sort_key)))
    found = False
    for res in result.resolutions:  # resolved once, by the lint that vetted them
        for rp in res.prompts:
            if prompt is not None and rp.prompt.name != prompt:
                continue
            found = True
            yield prepare(rp, res.path, res.root)
    if prompt is not None and not found:
        raise UsageError(f"no prompt named {prompt!r} in {', '.join(paths)}")


def expand(paths: Sequence[str], prompt: str | None = None) -> Iterator[Request]:
    """Stream every request of the specs, in order. Raises SpecError when a spec has errors."""
    for pp in prepared(paths, prompt):
        yield from expand_prompt(pp)


def count(paths: Sequence[str], prompt: str | None = None) -> list[tuple[str, str, int]]:
    """(spec, prompt, number of requests) for each prompt: a product of axis sizes."""
    return [(pp.spec_label, pp.rp.prompt.name, pp.count()) for pp in prepared(paths, prompt)]


def merge_sheets(outs: Sequence[Path], dest: Path) -> list[dict[str, Any]]:
    """Merge run folders (shards, or runners of one sweep) into one contact sheet in `dest`;
    the merged `results.jsonl` lines. An out without `results.jsonl` is a UsageError."""
    from promptspec.runner.merge import merge_outs

    return merge_outs(list(outs), dest)
