"""promptspec: a declarative compiler and linter for image-generation prompt specs."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
