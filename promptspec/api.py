"""The public Python API: what the command line calls, and what a Python user may call too.

    expand(paths, prompt=None)   -> Iterator[Request]   (raises SpecError on errors)
    count(paths, prompt=None)    -> dict[(spec, prompt), int]
    lint(paths)                  -> list[Diagnostic]     (every finding, severities applied)
"""

from __future__ import annotations

__all__: list[str] = []
