"""Write a spec model as canonical YAML lines (for `convert --to yaml`), keeping value types.

A string is written plain only when YAML reads it back as that same string (never as a
number, a boolean or null), else double-quoted; a `\"\"\"` block becomes a `|` block scalar;
ranges and `random(...)` become their strings; `file("x")` becomes `{file: x}`.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any

from promptspec.format.comments import OutLine, OutLines
from promptspec.model import (
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

__all__ = ["yaml_lines"]

WIDTH = 100
_UNSAFE_START = set("?:,[]{}#&*!|>'\"%@`")
_FLOW_UNSAFE = set(",[]{}:")
_YAML11 = re.compile(
    r"(?i:y|n|yes|no|on|off|true|false|null|~)|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?"
    r"|[-+]?(0b[01_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?|\.[0-9_]+)"
)


@functools.lru_cache(maxsize=4096)
def _reads_back(candidate: str, flow: bool) -> Any:
    """What YAML reads `candidate` as, written after `k: ` (inside `[...]` when `flow`)."""
    from ruamel.yaml import YAML

    doc = f"k: [{candidate}]\n" if flow else f"k: {candidate}\n"
    try:
        data = YAML(typ="safe", pure=False).load(doc)
    except Exception:
        return None
    value = data.get("k") if isinstance(data, dict) else None
    if flow:
        return value[0] if isinstance(value, list) and len(value) == 1 else None
    return value


def _plain_ok(s: str, flow: bool) -> bool:
    if not s or s != s.strip() or s[0] in _UNSAFE_START or s.startswith("- "):
        return False
    if any(ch < " " or ch == "\x7f" or ch in "\x85\u2028\u2029\ufeff" for ch in s):
        return False
    if ": " in s or " #" in s or s.endswith(":") or (flow and _FLOW_UNSAFE & set(s)):
        return False
    if _YAML11.fullmatch(s):
        return False  # a string to YAML 1.2, not to a YAML 1.1 reader: quote it for both
    back = _reads_back(s, flow)
    return isinstance(back, str) and back == s


def double_quoted(s: str) -> str:
    out = []
    for ch in s:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif code < 0x20 or 0x7F <= code <= 0x9F:
            out.append(f"\\x{code:02x}")
        elif ch in "\u2028\u2029\ufeff" or 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def yaml_string(s: str, flow: bool = False) -> str:
    return s if _plain_ok(s, flow) else double_quoted(s)


def _block_scalar(s: str, indent: int) -> list[str] | None:
    """`s` as a `|` block scalar (header first), or None when YAML would not read it back."""
    if "\n" not in s or "\r" in s or any(ch < " " and ch not in "\n\t" for ch in s):
        return None
    body = s.rstrip("\n")
    trailing = len(s) - len(body)
    chomp = "-" if trailing == 0 else ("" if trailing == 1 else "+")
    lines = body.split("\n") + [""] * (trailing - 1 if trailing > 1 else 0)
    first = next((ln for ln in lines if ln), "")
    explicit = not lines[0] or first[:1] in (" ", "\t")  # YAML cannot guess the indentation
    header = "|" + ("2" if explicit else "") + chomp
    mini = ["k: " + header] + ["  " + ln if ln else "" for ln in lines]
    if _load_block("\n".join(mini) + "\n") != s:
        return None
    pad = " " * (indent + 2)
    return [header] + [pad + ln if ln else "" for ln in lines]


@functools.lru_cache(maxsize=256)
def _load_block(doc: str) -> Any:
    from ruamel.yaml import YAML

    try:
        data = YAML(typ="safe", pure=False).load(doc)
    except Exception:
        return None
    return data.get("k") if isinstance(data, dict) else None


def _number(lit: Literal) -> str:
    v = lit.value
    assert isinstance(v, int | float) and not isinstance(v, bool)
    text = lit.text
    if text is not None and re.fullmatch(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?", text):
        back = _reads_back(text, False)
        if type(back) is type(v) and back == v:
            return text
    if isinstance(v, float) and not math.isfinite(v):
        return ".nan" if math.isnan(v) else (".inf" if v > 0 else "-.inf")
    return repr(v)


def _part(lit: Literal) -> str:
    """A range or random() part as written in the DSL (numbers as written)."""
    v = lit.value
    if isinstance(v, bool) or v is None:
        return {True: "true", False: "false", None: "null"}[v]
    if isinstance(v, int | float):
        return lit.text or repr(v)
    return str(v)


def scalar(value: Value, flow: bool) -> str:
    """A one-line YAML value."""
    if isinstance(value, FileRef):
        return "{file: " + yaml_string(value.path, True) + "}"
    if isinstance(value, RangeValue):
        text = f"{_part(value.start)}..{_part(value.end)}"
        if value.step is not None:
            text += f" step {_part(value.step)}"
        if value.count is not None:
            text += f" count {_part(value.count)}"
        return yaml_string(text, flow)
    if isinstance(value, RandomValue):
        seed = f", {_part(value.seed)}" if value.seed is not None else ""
        return yaml_string(f"random({_part(value.n)}{seed})", flow)
    if isinstance(value, ListValue):
        return "[" + ", ".join(scalar(item, True) for item in value.items) + "]"
    v = value.value
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return _number(value)
    return yaml_string(v, flow)


class _Writer(OutLines):
    def field(self, f: Field, indent: int) -> None:
        key = yaml_string(f.name) + ":"
        src = (f.span.line, f.span.end_line)
        value = f.value
        if isinstance(value, Literal) and isinstance(value.value, str) and value.multiline:
            block = _block_scalar(value.value, indent)
            if block is not None:
                self.add(f"{key} {block[0]}", indent, src)
                self.lines += [OutLine(ln) for ln in block[1:]]
                return
        flat = scalar(value, False)
        if isinstance(value, ListValue) and (indent + len(key) + 1 + len(flat) > WIDTH):
            self.add(key, indent, src)
            for item in value.items:
                self.add("- " + scalar(item, False), indent + 2)
            return
        self.add(f"{key} {flat}", indent, src)

    def fields(self, fields: tuple[Field, ...], indent: int) -> None:
        for f in fields:
            self.field(f, indent)

    def body(self, item: Preset | Prompt, indent: int) -> None:
        src = (item.name_span.line, item.span.end_line)
        parts: list[tuple[int, int, Any]] = [(f.span.line, 0, f) for f in item.fields]
        if item.vars:
            parts.append((min(f.span.line for f in item.vars), 1, "vars"))
        if isinstance(item, Prompt):
            for word, sweep in (("sweep", item.sweep), ("zip", item.zip)):
                if sweep is not None:
                    parts.append((sweep.span.line, 2, (word, sweep)))
        if not parts and not item.extends:
            self.add(yaml_string(item.name) + ": {}", indent, src, block=True)
            return
        self.add(yaml_string(item.name) + ":", indent, src, block=True)
        inner = indent + 2
        if item.extends:
            names = [yaml_string(r.name, True) for r in item.extends]
            shown = names[0] if len(names) == 1 else "[" + ", ".join(names) + "]"
            self.add(f"extends: {shown}", inner)
        for _, _, part in sorted(parts, key=lambda p: (p[0], p[1])):
            if isinstance(part, Field):
                self.field(part, inner)
            elif part == "vars":
                self.add("vars:", inner)
                self.fields(item.vars, inner + 2)
            else:
                word, sweep = part
                self.sweep(word, sweep, inner)

    def sweep(self, word: str, sweep: Sweep, indent: int) -> None:
        src = (sweep.span.line, sweep.span.end_line)
        if not sweep.axes:
            self.add(f"{word}: {{}}", indent, src, block=True)
            return
        self.add(f"{word}:", indent, src, block=True)
        self.fields(sweep.axes, indent + 2)


def yaml_lines(spec: SpecFile) -> list[OutLine]:
    """The YAML document of `spec`, line by line, each key anchored to its source lines."""
    w = _Writer()
    w.add("version: 1", 0)
    if spec.imports:
        src = (spec.imports[0].span.line, spec.imports[-1].span.end_line)
        paths = [yaml_string(i.path, True) for i in spec.imports]
        w.add("imports: [" + ", ".join(paths) + "]", 0, src)
    if spec.tune is not None:
        w.field(spec.tune, 0)
    if spec.family is not None:
        w.field(spec.family, 0)
    if spec.vars:
        w.add("vars:", 0)
        w.fields(spec.vars, 2)
    for section, items in (("presets", spec.presets), ("prompts", spec.prompts)):
        if items:
            w.add(f"{section}:", 0)
            for item in items:
                w.body(item, 2)
    return w.lines
