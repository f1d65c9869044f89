"""The check stage: the engine (selection, severities, suppressions) and `--fix`.

The rule catalogue and its families live in `rules/`.
"""
