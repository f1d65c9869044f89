"""The exception tree. User-facing failures become one line and an exit code, never a traceback.

    PromptspecError              base; `str()` is the one line shown to the user
    +-- UsageError               bad options or arguments (exit 2)
    +-- SpecReadError            a path that cannot be opened or read (exit 2)
    +-- ConfigError              an invalid `[tool.promptspec]` table (exit 2)
    +-- SpecError                a spec that does not parse or resolve (exit 1)
    +-- RunError                 the runner cannot go on: missing key, unreachable server
                                 at start (exit 2)
    +-- RuleCrash                a rule family failed on a file: a bug to report (exit 2)
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "PromptspecError",
    "RuleCrash",
    "RunError",
    "SpecError",
    "SpecReadError",
    "UsageError",
]


class PromptspecError(Exception):
    exit_code = 1


class UsageError(PromptspecError):
    exit_code = 2


class SpecReadError(PromptspecError):
    exit_code = 2


class ConfigError(PromptspecError):
    exit_code = 2


class SpecError(PromptspecError):
    exit_code = 1


class RunError(PromptspecError):
    exit_code = 2


class RuleCrash(PromptspecError):
    exit_code = 2
