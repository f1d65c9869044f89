"""The two front ends, and what each returns: a `Parsed` file.

    dsl/    `*.pspec`, parsed by the lark grammar in the top-level `grammar/` folder
    yaml/   `*.pspec.yaml` / `*.pspec.yml`, composed by ruamel.yaml's C parser

Both build the one model (`promptspec.model`); nothing past this stage imports lark or ruamel.
"""

from __future__ import annotations

import re

from promptspec.diagnostics import Diagnostic
from promptspec.model import SpecFile, record

__all__ = ["YAML_BREAK", "Parsed", "line_starts", "source_lines"]

YAML_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
"""YAML's own line breaks: libyaml counts lines by these, so the YAML front end's places do."""


@record
class Parsed:
    """One spec file after its front end: the model (None when it does not parse) and the
    front end's diagnostics (PS001 syntax, PS002 duplicate keys, PS007 structure)."""

    path: str
    source: str
    spec: SpecFile | None
    diagnostics: tuple[Diagnostic, ...]


def line_starts(text: str, syntax: str) -> list[int]:
    """The offset where each line begins, lines counted as the syntax's parser counts them:
    the DSL's by `\n` alone, YAML's by every YAML line break (U+2028 included). Every
    position a finding carries, and every edit a fix makes, is read against these."""
    if syntax == "yaml":
        return [0, *(m.end() for m in YAML_BREAK.finditer(text))]
    starts = [0]
    pos = text.find("\n")
    while pos >= 0:
        starts.append(pos + 1)
        pos = text.find("\n", pos + 1)
    return starts


def source_lines(text: str, syntax: str) -> list[str]:
    """The lines of `text` as its parser counts them, without their line breaks."""
    if syntax == "yaml":
        return YAML_BREAK.split(text)
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
