"""One axis's values as the rules see them: lazy ranges, abstract `random(n)`, typed values.

A range stays a lazy `NumRange`; a `random(n)` stays `RandomInts` (its values are distinct
ints in the parameter's range, which decides every rule) so the linter never draws them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from promptspec.axes import MAX_RANDOM_VALUES, AxisError, NumRange, axis_values, random_range
from promptspec.model import Field, RandomValue, record
from promptspec.params import PARAMS

__all__ = [
    "FLOATS",
    "OTHER",
    "SAMPLES_PER_AXIS",
    "TRUE",
    "UNSET",
    "AxisSet",
    "RandomInts",
    "is_lazy",
    "lint_axis_values",
    "sample",
    "typed",
    "value_class",
]

RANDOM_INLINE_LIMIT = 0
"""Above this many values, `random(n)` is judged from its range instead of drawn: its
values are distinct ints inside the parameter's range, which decides every rule."""
SAMPLES_PER_AXIS = 3
"""Values of a long axis (range, random) that renders try."""

UNSET, TRUE, OTHER = "unset", "true", "other"


@record
class RandomInts:
    """`random(n)` for a large n: n distinct ints in lo..hi, never drawn by the linter."""

    n: int
    lo: int
    hi: int

    def __len__(self) -> int:
        return self.n


AxisSet = Sequence[Any] | RandomInts
_LAZY = (NumRange, RandomInts)  # a tuple: `X | Y` builds a union at every call


def lint_axis_values(f: Field, prompt: str) -> AxisSet | AxisError:
    """`values.axis_values`, except that a huge `random(n)` stays abstract."""
    p = PARAMS.get(f.name)
    v = f.value
    if isinstance(v, RandomValue):
        n = v.n.value
        seed = v.seed.value if v.seed is not None else 0
        valid = isinstance(seed, int) and not isinstance(seed, bool) and not isinstance(n, bool)
        if valid and isinstance(n, int) and n > RANDOM_INLINE_LIMIT:
            lo, hi = random_range(p)
            if n > hi - lo + 1 or n > MAX_RANDOM_VALUES:
                return axis_values(v, p, prompt, f.name)  # its AxisError, drawing nothing
            return RandomInts(n, lo, hi)
    return axis_values(v, p, prompt, f.name)


FLOATS = frozenset(n for n, p in PARAMS.items() if p.kind == "float")
"""The parameters whose values are floats (an int written there is sent as a float)."""


def typed(name: str, value: Any) -> Any:
    """A value as expansion sends it (`cfg_scale` 7 -> 7.0; `params.coerce`, inlined)."""
    if name in FLOATS and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def value_class(value: Any) -> str:
    if value is None:
        return UNSET
    if value is True:
        return TRUE
    return OTHER


def is_lazy(values: AxisSet) -> bool:
    return isinstance(values, _LAZY)


def sample(values: AxisSet) -> list[Any]:
    """A few values of an axis: all of a short list, spread samples of a long one."""
    if isinstance(values, RandomInts):
        return [values.lo, values.hi]
    if not isinstance(values, NumRange):
        return list(values)
    n = len(values)
    if n <= SAMPLES_PER_AXIS:
        return list(values)
    step = (n - 1) / (SAMPLES_PER_AXIS - 1)
    return [values[round(i * step)] for i in range(SAMPLES_PER_AXIS)]
