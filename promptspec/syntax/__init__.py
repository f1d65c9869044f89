"""The two front ends, and what each returns: a `Parsed` file.

    dsl/    `*.pspec`, parsed by the lark grammar in the top-level `grammar/` folder
    yaml/   `*.pspec.yaml` / `*.pspec.yml`, composed by ruamel.yaml's C parser

Both build the one model (`promptspec.model`); nothing past this stage imports lark or ruamel.
"""

from __future__ import annotations

from dataclasses import dataclass

from promptspec.diagnostics import Diagnostic
from promptspec.model import SpecFile

__all__ = ["Parsed"]


@dataclass(frozen=True, slots=True)
class Parsed:
    """One spec file after its front end: the model (None when it does not parse) and the
    front end's diagnostics (PS001 syntax, PS002 duplicate keys, PS007 structure)."""

    path: str
    source: str
    spec: SpecFile | None
    diagnostics: tuple[Diagnostic, ...]
