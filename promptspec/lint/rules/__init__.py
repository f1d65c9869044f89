"""The rule catalogue and the checks that run it over a resolved spec file.

    RULES                                  code -> Rule metadata (every code PS001-PS408)
    rules_for(profile)                     the rules that run under an API profile
    check(res, *, max_requests) -> list[Diagnostic]
        every finding of the rules for one resolved file (severity not yet applied;
        the engine in `promptspec.lint.engine.engine` attaches severities, suppressions and config)

Rules judge sets of values (a fixed value, or an axis's values), never the enumerated
sweep, so lint time does not grow with the product of the axes.
"""

from __future__ import annotations

from collections.abc import Callable

from promptspec.diagnostics import Diagnostic
from promptspec.errors import RuleCrash
from promptspec.lint.rules import (
    combos,
    families,
    lockfile,
    parameter_values,
    structure,
    sweeps,
    template_checks,
    textflags,
)
from promptspec.lint.rules._context import Context
from promptspec.lint.rules._duplicates import duplicate_prompts
from promptspec.lint.rules._value_sets import PromptView
from promptspec.lint.rules.registry import RULES, Rule, rules_for
from promptspec.params import DEFAULT_PROFILE
from promptspec.resolve import Resolution

__all__ = ["RULES", "Rule", "check", "rules_for"]

# each registers its rules on import
_MODULES = (structure, parameter_values, combos, template_checks, sweeps, lockfile, textflags,
            families)

_FILE_CHECKS: tuple[Callable[[Context], None], ...] = (
    parameter_values.check_file, template_checks.check_file,
)
_PROMPT_CHECKS: tuple[Callable[[Context, PromptView], None], ...] = (
    parameter_values.check_prompt, combos.check_prompt, template_checks.check_prompt,
    sweeps.check_prompt, textflags.check_prompt, families.check_prompt,
)


def _crash(ctx: Context, what: str, err: Exception) -> RuleCrash:
    """A family's crash is a bug, reported as one line naming the family (exit 2), never
    swallowed: lint must not pass what it could not check. Raised from `err` (as `raise
    ... from err` would), but from nothing for a RecursionError, whose chain is the spec's
    depth, not news."""
    if isinstance(err, RecursionError):
        crash = RuleCrash(f"{ctx.path}: internal error in rule family {what}: the spec nests "
                          "too deeply to check (please report this bug)")
        crash.__cause__ = None
    else:
        crash = RuleCrash(f"{ctx.path}: internal error in rule family {what}: "
                          f"{type(err).__name__}: {err} (please report this bug)")
        crash.__cause__ = err
    crash.__suppress_context__ = True
    return crash


def check(res: Resolution, *, max_requests: int = 1000, profile: str = DEFAULT_PROFILE
          ) -> list[Diagnostic]:
    """Every finding for one resolved file: parsing's, resolution's, and the rules'.

    `profile`: the API profile whose table and rules apply (`current` or `reference`)."""
    if res.spec is None:
        return list(res.diagnostics)
    ctx = Context(res, res.spec, max_requests, profile=profile)
    for d in res.diagnostics:
        ctx.report(d.code, d.message, d.span, d.prompt, d.fix)
    memo: dict[object, object] = {}  # renders shared by the prompts of the file
    views = [PromptView(rp, memo, ctx.axis_values) for rp in res.prompts]
    for run in _FILE_CHECKS:
        try:
            run(ctx)
        except Exception as err:
            raise _crash(ctx, run.__module__, err)  # noqa: B904 (its cause is set)
    for view in views:
        for prun in _PROMPT_CHECKS:
            try:
                prun(ctx, view)
            except Exception as err:
                raise _crash(  # noqa: B904 (its cause is set)
                    ctx, f"{prun.__module__} for prompt {view.name!r}", err)
    counts = [v.count for v in views]
    try:
        duplicate_prompts(ctx, views, counts)
    except Exception as err:
        raise _crash(ctx, "duplicate prompts", err)  # noqa: B904 (its cause is set)
    return ctx.out
