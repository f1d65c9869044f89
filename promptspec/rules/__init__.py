"""The rule catalogue and the checks that run it over a resolved spec file.

    RULES                                  code -> Rule metadata (every code PS001-PS407)
    check(res, *, max_requests) -> list[Diagnostic]
        every finding of the rules for one resolved file (severity not yet applied;
        the engine in `promptspec.lint` attaches severities, suppressions and config)
"""

from __future__ import annotations

from promptspec.diagnostics import Diagnostic
from promptspec.resolve import Resolution
from promptspec.rules.registry import RULES, Rule

__all__ = ["RULES", "Rule", "check"]


def check(res: Resolution, *, max_requests: int = 1000) -> list[Diagnostic]:
    """First cut: only what parsing and resolution found."""
    return list(res.diagnostics)
