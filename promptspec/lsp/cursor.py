"""What the cursor stands on, read from the lines around it, for completion and hover.

Completion runs while a line is half typed, when the file does not parse, so this reads
only the shape of the text: which block encloses the cursor (DSL braces, YAML indentation),
which key a value is being written for, whether the cursor sits in `{{ }}`, after `--`,
or in a suppression comment. Meanings (parameters, presets, vars) come from the lint
engine's model and tables, never from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["Place", "place_at", "word_at"]

Where = Literal["top", "body", "vars", "axes", "value", "extends", "template", "flag", "other"]

_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
_WORD = re.compile(r"[A-Za-z0-9_-]+")
_DSL_STRINGS = re.compile(r'"""|"(?:[^"\\\n]|\\.)*"?|#.*')
_DSL_HEADER = re.compile(rf"^\s*(preset|prompt)\s+({_NAME})")
_DSL_BLOCK = re.compile(r"^\s*(vars|sweep|zip)\s*\{")
_YAML_KEY = re.compile(r"^(\s*)(?:-\s+)?([A-Za-z0-9_.\"'-]+)\s*:(?:\s|$)")


@dataclass(frozen=True, slots=True)
class Place:
    """Where the cursor is: `where`, the block's owner (`prompt`/`preset` name), the key
    whose value is being written, the word typed so far, and whether a quote is open."""

    where: Where
    owner: str | None = None
    owner_kind: str | None = None
    key: str | None = None
    prefix: str = ""
    quoted: bool = False


def word_at(line: str, character: int) -> tuple[str, int, int] | None:
    """The word (name or rule code) under `character`, with its start and end."""
    for m in _WORD.finditer(line):
        if m.start() <= character <= m.end():
            return m.group(), m.start(), m.end()
    return None


def _template_prefix(before: str) -> str | None:
    """The name typed so far when `before` ends inside an open `{{ ... }}`."""
    opened = before.rfind("{{")
    if opened < 0 or before.rfind("}}") > opened:
        return None
    m = re.search(r"[A-Za-z_][A-Za-z0-9_]*$", before[opened + 2:])
    return m.group() if m else ""


def _flag_prefix(before: str) -> str | None:
    m = re.search(r"(?:^|[\s\"'])--([A-Za-z0-9_]*)$", before)
    return m.group(1) if m else None


def place_at(lines: list[str], line: int, character: int, syntax: str) -> Place:
    """The place at 0-based (`line`, `character`, in code points) of a spec's lines."""
    text = lines[line] if line < len(lines) else ""
    before = text[:character]
    in_string = False
    if syntax == "yaml":
        owner, kind, block = _yaml_block(lines, line, before)
    else:
        owner, kind, block, in_string = _dsl_block(lines, line)
    tp = _template_prefix(before)
    if tp is not None:
        return Place("template", owner, kind, prefix=tp)
    fp = _flag_prefix(before)
    # a flag is written inside a string: text, or a var whose value text reads
    if syntax == "dsl":
        quoted = in_string or before.count('"') % 2 == 1
    else:
        quoted = not before.lstrip().startswith("#")
    if fp is not None and quoted:
        return Place("flag", owner, kind, prefix=fp)
    if syntax == "yaml":
        return _yaml_place(before, owner, kind, block)
    return _dsl_place(before, owner, kind, block)


# -- DSL -----------------------------------------------------------------------------------


def _dsl_block(lines: list[str], upto: int) -> tuple[str | None, str | None, str, bool]:
    """The enclosing (owner, owner kind, block) of line `upto`, by the braces before it, and
    whether the line starts inside a triple-quoted string."""
    stack: list[tuple[str, str | None]] = []  # (block, owner)
    in_block_string = False
    for text in lines[:upto]:
        if in_block_string:
            if text.count('"""') % 2 == 1:
                in_block_string = False
            continue
        if text.count('"""') % 2 == 1:
            in_block_string = True
        plain = "".join(_DSL_STRINGS.split(text))
        header = _DSL_HEADER.match(text)
        opens = _DSL_BLOCK.match(text)
        for ch in plain:
            if ch == "{":
                if header is not None:
                    stack.append((header.group(1), header.group(2)))
                    header = None
                elif opens is not None:
                    stack.append((opens.group(1), stack[-1][1] if stack else None))
                    opens = None
                else:
                    stack.append(("other", stack[-1][1] if stack else None))
            elif ch == "}" and stack:
                stack.pop()
    if not stack:
        return None, None, "top", in_block_string
    block, owner = stack[-1]
    kind = next((b for b, _ in reversed(stack) if b in ("preset", "prompt")), None)
    return owner, kind, block, in_block_string


def _dsl_place(before: str, owner: str | None, kind: str | None, block: str) -> Place:
    where: Where = {"preset": "body", "prompt": "body", "vars": "vars", "sweep": "axes",
                    "zip": "axes", "top": "top"}.get(block, "other")  # type: ignore[assignment]
    header = re.match(rf"^\s*(?:preset|prompt)\s+{_NAME}\s*:\s*(?:{_NAME}\s*,\s*)*"
                      rf"([A-Za-z0-9_-]*)$", before)
    if header:
        return Place("extends", owner, kind, prefix=header.group(1))
    value = re.match(rf"^\s*({_NAME})\s*=\s*(\"?)([^\"]*)$", before)
    if value:
        return Place("value", owner, kind, key=value.group(1), prefix=value.group(3),
                     quoted=bool(value.group(2)))
    key = re.match(r"^\s*([A-Za-z0-9_-]*)$", before)
    if key:
        return Place(where, owner, kind, prefix=key.group(1))
    return Place("other", owner, kind)


# -- YAML ----------------------------------------------------------------------------------


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


def _yaml_block(lines: list[str], upto: int, before: str
                ) -> tuple[str | None, str | None, str]:
    """(owner, owner kind, block) from the keys of the lines less indented than the cursor."""
    own = _indent(before) if before.strip() else len(before)
    chain: list[str] = []
    limit = own
    for text in reversed(lines[:upto]):
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        ind = _indent(text)
        if ind >= limit:
            continue
        m = _YAML_KEY.match(text)
        if m is None:
            continue
        chain.append(m.group(2).strip("\"'"))
        limit = ind
        if ind == 0:
            break
    chain.reverse()
    if not chain:
        return None, None, "top"
    if chain[0] in ("prompts", "presets") and len(chain) >= 2:
        kind = chain[0][:-1]
        rest = chain[2:]
        block = rest[0] if rest else kind
        if block == "extends":
            return chain[1], kind, "extends"
        return chain[1], kind, block if block in ("vars", "sweep", "zip") else (
            kind if not rest else "other")
    if chain[0] == "vars":
        return None, None, "vars"
    if chain[0] == "imports":
        return None, None, "imports"
    return None, None, "other"


def _yaml_place(before: str, owner: str | None, kind: str | None, block: str) -> Place:
    where: Where = {"preset": "body", "prompt": "body", "vars": "vars", "sweep": "axes",
                    "zip": "axes", "top": "top", "extends": "extends"}.get(
                        block, "other")  # type: ignore[assignment]
    value = re.match(rf"^\s*(?:-\s+)?({_NAME})\s*:\s+([\"']?)([^\"']*)$", before)
    if value:
        key = value.group(1)
        if key == "extends" and where == "body":
            m = re.search(r"([A-Za-z0-9_-]*)$", value.group(3))
            return Place("extends", owner, kind, prefix=m.group(1) if m else "")
        return Place("value", owner, kind, key=key, prefix=value.group(3),
                     quoted=bool(value.group(2)))
    item = re.match(r"^\s*-\s+([A-Za-z0-9_-]*)$", before)
    if item and where == "extends":
        return Place("extends", owner, kind, prefix=item.group(1))
    key = re.match(r"^\s*([A-Za-z0-9_-]*)$", before)
    if key:
        return Place(where, owner, kind, prefix=key.group(1))
    return Place("other", owner, kind)
