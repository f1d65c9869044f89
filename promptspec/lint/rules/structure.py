"""Catalogue entries for PS001-PS007: what the front ends and resolution report.

Parsing (PS001, PS002, PS007) and resolution (PS003-PS006) emit these diagnostics
themselves; `check` passes them on. The sweeps family adds PS007 for an axis that is a
single value.
"""

from __future__ import annotations

from promptspec.lint.rules.registry import Rule, register

__all__: list[str] = []

register(Rule(
    "PS001", "syntax-error", "error",
    "The file does not parse (DSL or YAML).",
    "A spec file must be valid UTF-8 and follow its syntax: the DSL grammar for `*.pspec`, "
    "YAML for `*.pspec.yaml`. The finding points at the first place the parser could not "
    "read; nothing else is checked in a file that does not parse.",
    bad='tune 7\n\nprompt a {\n  text = "a fox\n}\n',
    good='tune 7\n\nprompt a {\n  text = "a fox"\n}\n',
))

register(Rule(
    "PS002", "duplicate-key", "error",
    "A key or parameter is given twice in one mapping or block.",
    "Only one of two settings of one key can win, so writing it twice is almost always a "
    "mistake. The finding is reported at the later one; the first is kept.",
    bad='tune 7\n\nprompt a {\n  text = "a fox"\n  seed = 1\n  seed = 2\n}\n',
    good='tune 7\n\nprompt a {\n  text = "a fox"\n  seed = 1\n}\n',
))

register(Rule(
    "PS003", "import-error", "error",
    "An import names a missing file, forms a cycle, or leaves the project root.",
    "Imports are paths relative to the importing file. They must name an existing spec "
    "file inside the project root (the nearest folder holding pyproject.toml or .git), and "
    "files must not import each other in a cycle.",
    bad='import "missing.pspec"\n\ntune 7\n\nprompt a {\n  text = "a fox"\n}\n',
    good='tune 7\n\nprompt a {\n  text = "a fox"\n}\n',
))

register(Rule(
    "PS004", "unknown-preset", "error",
    "`extends` names no preset.",
    "A prompt or preset may extend only presets defined in the file or in a file it "
    "imports. The message suggests the closest name.",
    bad='tune 7\n\npreset crisp {\n  steps = 30\n}\n\nprompt a : crips {\n  text = "a fox"\n}\n',
    good='tune 7\n\npreset crisp {\n  steps = 30\n}\n\nprompt a : crisp {\n  text = "a fox"\n}\n',
))

register(Rule(
    "PS005", "preset-cycle", "error",
    "Presets extend each other in a cycle.",
    "A preset's own `extends` is applied before the preset itself, so presets that extend "
    "each other in a circle have no order to merge in.",
    bad=('tune 7\n\npreset one : two {\n  steps = 30\n}\n\npreset two : one {\n  seed = 1\n}\n\n'
         'prompt a : one {\n  text = "a fox"\n}\n'),
    good=('tune 7\n\npreset one : two {\n  steps = 30\n}\n\npreset two {\n  seed = 1\n}\n\n'
          'prompt a : one {\n  text = "a fox"\n}\n'),
))

register(Rule(
    "PS006", "duplicate-name", "error",
    "Two prompts or two presets share one name.",
    "Names must be unique across the file and its imports. The finding is reported at the "
    "later definition and names the first.",
    bad='tune 7\n\nprompt a {\n  text = "a fox"\n}\n\nprompt a {\n  text = "a hare"\n}\n',
    good='tune 7\n\nprompt a {\n  text = "a fox"\n}\n\nprompt b {\n  text = "a hare"\n}\n',
))

register(Rule(
    "PS007", "invalid-structure", "error",
    "The spec has the wrong shape.",
    "An unknown top-level key, an unsupported `version`, a body that is not a mapping, a "
    "field outside any block, or a sweep axis that is a single value rather than a list, a "
    "range or random(n).",
    bad='tune 7\nseed = 1\n\nprompt a {\n  text = "a fox"\n}\n',
    good='tune 7\n\nprompt a {\n  text = "a fox"\n  seed = 1\n}\n',
))
