"""PS408 `stale-lock`: the catalogue entry for what `promptspec lock --check` reports.

The check itself compares expansions with `promptspec.lock` (module `promptspec.review.lock`);
`lint` never reports it. The examples are a spec as locked (good) and the same spec changed
afterwards (bad), checked against the lock written for the good one.
"""

from __future__ import annotations

from promptspec.lint.rules.registry import Rule, register

__all__: list[str] = []

_LOCKED = ('tune 7\n\nprompt a {\n  text = "a fox"\n  sweep {\n    cfg_scale = [5, 7]\n'
           '  }\n}\n')

register(Rule(
    "PS408", "stale-lock", "error",
    "A prompt's requests differ from `promptspec.lock`, are missing from it, or a lock line's "
    "prompt is gone.",
    "`promptspec lock` records, per prompt, how many requests and images it expands to and a "
    "digest of its request ids, so that a review sees what a change will send. "
    "`promptspec lock --check` (and the `promptspec-lock` pre-commit hook) reports a prompt "
    "whose requests no longer match its line (at the prompt's name), a prompt with no line, "
    "and a line whose prompt no longer exists (at the lock file's line). Run "
    "`promptspec lock` and commit the lock with the change. The bad example is the good one "
    "changed after it was locked: `cfg_scale` sweeps a third value, so the prompt sends "
    "three requests where the lock records two.",
    bad=_LOCKED.replace("[5, 7]", "[5, 7, 9]"),
    good=_LOCKED,
))
