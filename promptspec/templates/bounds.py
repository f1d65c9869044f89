"""What a template may not reach past, and the error it raises when it does (PS301).

Kept apart from the sandbox so that knowing the bounds never imports jinja2.
"""

from __future__ import annotations

__all__ = ["MAX_DEPTH", "MAX_OUTPUT", "TemplateBoundError"]

MAX_DEPTH = 100
"""Levels of nesting (brackets, blocks, expressions) or recursion (macros, loops)."""
MAX_OUTPUT = 1_000_000
"""Characters a render, or any one value inside it, may hold."""


class TemplateBoundError(Exception):
    """A template reached past one of the sandbox's bounds (PS301)."""
