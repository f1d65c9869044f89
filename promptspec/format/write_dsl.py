"""Write a spec model as DSL lines (for `convert --to dsl`), keeping value types.

A string stays a string (`"7"`), a YAML block scalar becomes a `\"\"\"` block when one reads
back the same, range and `random` strings of sweeps become the DSL forms, `{file: x}`
becomes `file("x")`. `fmt` then lays the result out canonically.
"""

from __future__ import annotations

import math
from typing import Any

from promptspec.errors import SpecError
from promptspec.format.comments import OutLine, OutLines
from promptspec.format.dsl_text import DSL_NAME, DSL_NUMBER, dsl_string, quote
from promptspec.model import (
    NAME_PATTERN,
    Field,
    FileRef,
    ListValue,
    Literal,
    Preset,
    Prompt,
    RandomValue,
    RangeValue,
    SpecFile,
    Sweep,
    Value,
)

__all__ = ["dsl_lines"]


def _fail(span: Any, message: str) -> SpecError:
    return SpecError(f"{span}: cannot write this in the DSL: {message}")


def _number(lit: Literal) -> str:
    v = lit.value
    assert isinstance(v, int | float) and not isinstance(v, bool)
    text = lit.text
    if text is not None and DSL_NUMBER.fullmatch(text):
        back: int | float = int(text) if text.lstrip("-").isdigit() else float(text)
        if type(back) is type(v) and back == v:
            return text
    if isinstance(v, float) and not math.isfinite(v):
        raise _fail(lit.span, f"the number {v!r} has no DSL form")
    return repr(v)


def _literal(lit: Literal, indent: int) -> list[str]:
    v = lit.value
    if v is None:
        return ["null"]
    if isinstance(v, bool):
        return ["true" if v else "false"]
    if isinstance(v, int | float):
        return [_number(lit)]
    return dsl_string(v, indent, lit.multiline and "\n" in v)


def _one_line(lit: Literal) -> str:
    lines = _literal(lit, 0)
    return lines[0] if len(lines) == 1 else quote(str(lit.value))


def value_lines(value: Value, indent: int) -> list[str]:
    """A value's DSL text; the first line continues `name = `."""
    if isinstance(value, FileRef):
        return [f"file({quote(value.path)})"]
    if isinstance(value, ListValue):
        items = [_one_line(item) if isinstance(item, Literal) else value_lines(item, indent)[0]
                 for item in value.items]
        return ["[" + ", ".join(items) + "]"]
    if isinstance(value, RangeValue):
        text = f"{_one_line(value.start)}..{_one_line(value.end)}"
        if value.step is not None:
            text += f" step {_one_line(value.step)}"
        if value.count is not None:
            text += f" count {_one_line(value.count)}"
        return [text]
    if isinstance(value, RandomValue):
        seed = f", {_one_line(value.seed)}" if value.seed is not None else ""
        return [f"random({_one_line(value.n)}{seed})"]
    return _literal(value, indent)


def _name(name: str, span: Any) -> str:
    if not DSL_NAME.fullmatch(name):
        raise _fail(span, f"{name!r} is not a DSL name ({NAME_PATTERN})")
    return name


class _Writer(OutLines):
    def field(self, f: Field, indent: int, head: str | None = None) -> None:
        lines = value_lines(f.value, indent)
        prefix = head if head is not None else _name(f.name, f.name_span) + " = "
        out = self.add(prefix + lines[0], indent, (f.span.line, f.span.end_line))
        if len(lines) > 1:
            out.eol_ok = False  # a comment after `\"\"\"` would be part of the string
            self.lines += [OutLine(ln) for ln in lines[1:]]

    def block(self, head: str, fields: tuple[Field, ...], indent: int,
              src: tuple[int, int] | None = None) -> None:
        self.add(head + " {", indent, src, block=True)
        for f in fields:
            self.field(f, indent + 2)
        self.add("}", indent)

    def named(self, kind: str, item: Preset | Prompt) -> None:
        head = f"{kind} {_name(item.name, item.name_span)}"
        if item.extends:
            head += " : " + ", ".join(_name(r.name, r.span) for r in item.extends)
        self.add(head + " {", 0, (item.name_span.line, item.span.end_line), block=True)
        parts: list[tuple[int, int, Any]] = [(f.span.line, 0, f) for f in item.fields]
        if item.vars:
            parts.append((min(f.span.line for f in item.vars), 1, "vars"))
        if isinstance(item, Prompt):
            for word, sweep in (("sweep", item.sweep), ("zip", item.zip)):
                if sweep is not None:
                    parts.append((sweep.span.line, 2, (word, sweep)))
        for _, _, part in sorted(parts, key=lambda p: (p[0], p[1])):
            if isinstance(part, Field):
                self.field(part, 2)
            elif part == "vars":
                self.block("vars", item.vars, 2)
            else:
                word, sweep = part
                assert isinstance(sweep, Sweep)
                self.block(word, sweep.axes, 2, (sweep.span.line, sweep.span.end_line))
        self.add("}", 0)


def dsl_lines(spec: SpecFile) -> list[OutLine]:
    """The DSL text of `spec`, line by line, each statement anchored to its source lines."""
    w = _Writer()
    for imp in spec.imports:
        w.add("import " + quote(imp.path), 0, (imp.span.line, imp.span.end_line))
    if spec.tune is not None:
        w.field(spec.tune, 0, "tune ")
    if spec.family is not None:
        w.field(spec.family, 0, "family ")
    if spec.vars:
        w.block("vars", spec.vars, 0)
    for preset in spec.presets:
        w.named("preset", preset)
    for prompt in spec.prompts:
        w.named("prompt", prompt)
    return w.lines
