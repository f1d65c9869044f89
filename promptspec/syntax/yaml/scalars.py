"""Scalars of composed YAML: their resolved tags and typed values (YAML 1.2 core schema).

Kept apart from `_yaml_values.py` so that the value builder reads as the spec's shape.
"""

from __future__ import annotations

import math
import re

from promptspec.model import Scalar
from promptspec.syntax.yaml.events import NULL, STR, YNode

__all__ = ["BOOL", "FLOAT", "INT", "MERGE", "NULL", "STR", "number", "scalar_value"]

_T = "tag:yaml.org,2002:"
INT, FLOAT, BOOL, MERGE = _T + "int", _T + "float", _T + "bool", _T + "merge"

_BOOLS = {"true": True, "false": False, "yes": True, "no": False, "on": True, "off": False}
MAX_INT_DIGITS = 4300
_MAX_INT_BITS = 14_284  # about 4,300 decimal digits
_INT_TEXT = re.compile(r"[-+]?[0-9]+")
_FLOAT_TEXT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")


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


def scalar_value(node: YNode) -> Scalar:
    """The value of a scalar by its resolved tag (YAML 1.2: `yes` is a string)."""
    tag, text = node.tag, node.text
    if tag == STR:
        return text
    try:
        if tag == NULL:
            return None
        if tag == BOOL:
            flag = _BOOLS.get(text.lower())
            return text if flag is None else flag
        if tag == INT:
            # Digits alone (most ints) are what `_int` would read with `int(text)`.
            value = int(text) if text.isdecimal() else _int(text)
            return value if value.bit_length() <= _MAX_INT_BITS else text
        if tag == FLOAT:
            return _float(text)
    except ValueError:
        pass  # an explicit tag on text it does not fit (`!!int abc`): keep the text
    return text


def number(text: str) -> Scalar:
    """A range or `random` part: int or float when it reads as one, else the text (also
    for an int of more digits than Python reads, 4,300)."""
    if (text.isascii() and text.isdigit()) or _INT_TEXT.fullmatch(text):
        return int(text) if len(text) <= MAX_INT_DIGITS else text
    if _FLOAT_TEXT.fullmatch(text):
        return float(text)
    return text
