"""Scalars of composed YAML: their resolved tags and typed values (YAML 1.2 core schema).

Kept apart from `_yaml_values.py` so that the value builder reads as the spec's shape.
"""

from __future__ import annotations

import math
import re
from typing import Any

from ruamel.yaml.nodes import Node, ScalarNode

from promptspec.model import Scalar

__all__ = [
    "BOOL", "FLOAT", "INT", "MERGE", "NULL", "STR", "is_empty", "number", "scalar_value", "tag_of",
]

_T = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL = _T + "str", _T + "int", _T + "float", _T + "bool"
NULL, MERGE = _T + "null", _T + "merge"

_BOOLS = {"true": True, "false": False, "yes": True, "no": False, "on": True, "off": False}
_INT_TEXT = re.compile(r"[-+]?[0-9]+")
_FLOAT_TEXT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")


def tag_of(node: Node) -> str:
    """The node's resolved tag. `Node.tag` formats a string on every read; `trval` is cached."""
    ctag: Any = node.ctag
    return "" if ctag is None else str(ctag.trval)


def is_empty(node: Node) -> bool:
    """A value left out (`key:` with nothing after it): a plain, empty null."""
    return isinstance(node, ScalarNode) and node.value == "" and tag_of(node) == NULL


def _int(text: str) -> int:
    s = text.replace("_", "")
    sign = -1 if s.startswith("-") else 1
    s = s.lstrip("+-")
    for prefix, base in (("0b", 2), ("0o", 8), ("0x", 16)):
        if s.startswith(prefix):
            return sign * int(s[2:], base)
    return sign * int(s, 10)


def _float(text: str) -> float:
    s = text.replace("_", "").lower()
    if s.endswith(".inf"):
        return -math.inf if s.startswith("-") else math.inf
    if s.endswith(".nan"):
        return math.nan
    return float(s)


def scalar_value(node: ScalarNode) -> Scalar:
    """The value of a scalar by its resolved tag (YAML 1.2: `yes` is a string)."""
    tag, text = tag_of(node), node.value
    try:
        if tag == NULL:
            return None
        if tag == BOOL:
            flag = _BOOLS.get(text.lower())
            return str(text) if flag is None else flag
        if tag == INT:
            return _int(text)
        if tag == FLOAT:
            return _float(text)
    except ValueError:
        pass  # an explicit tag on text it does not fit (`!!int abc`): keep the text
    return str(text)


def number(text: str) -> Scalar:
    """A range or `random` part: int or float when it reads as one, else the text."""
    if _INT_TEXT.fullmatch(text):
        return int(text)
    if _FLOAT_TEXT.fullmatch(text):
        return float(text)
    return text
