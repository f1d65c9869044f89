"""Sweep axis values: lists, ranges and `random(n)` as lazy sequences of concrete values.

A range is never materialised: `NumRange` answers `len`, indexing, `min` and `max`, so the
linter can judge a 10^12-point sweep from its bounds and `--count` multiplies lengths.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import random
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any, overload

from promptspec.diagnostics import Code
from promptspec.model import (
    FileRef,
    ListValue,
    Literal,
    RandomValue,
    RangeValue,
    Span,
    Value,
    record,
)
from promptspec.params import Param

__all__ = ["AxisError", "NumRange", "axis_values", "decimals_of", "random_range"]

RANDOM_DEFAULT_MAX = 2**32
MAX_AXIS_VALUES = 10**15
"""The most values one range may hold (past it, floats no longer tell its values apart)."""
MAX_RANDOM_VALUES = 1_000_000
"""The most values one `random(n)` may draw (they are drawn whole)."""


@record
class AxisError:
    """Why an axis has no values: a PS code, a message and the place."""

    code: Code
    message: str
    span: Span


def decimals_of(lit: Literal) -> int:
    """Decimals written in a number literal (`0.25` -> 2, `5` -> 0, `1e-3` -> 3)."""
    return _decimals(lit.text or repr(lit.value))


@lru_cache(maxsize=4096)
def _decimals(written: str) -> int:
    text = written.strip().lower()
    mantissa, _, exp = text.partition("e")
    decimals = len(mantissa.partition(".")[2])
    if exp:
        with contextlib.suppress(ValueError):
            decimals -= int(exp)
    return max(decimals, 0)


class NumRange(Sequence[int | float]):
    """An arithmetic sequence with `n` values, rounded to `decimals` (ints when `ints`)."""

    __slots__ = ("decimals", "ints", "n", "start", "step")

    def __init__(self, start: float, step: float, n: int, decimals: int, ints: bool) -> None:
        self.start = start
        self.step = step
        self.n = n
        self.decimals = decimals
        self.ints = ints

    def __len__(self) -> int:
        return self.n

    def _at(self, i: int) -> int | float:
        if self.ints:
            return int(self.start) + i * int(self.step)
        v = round(self.start + i * self.step, self.decimals)
        return v + 0.0  # never -0.0

    @overload
    def __getitem__(self, i: int) -> int | float: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[int | float]: ...
    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return [self._at(j) for j in range(*i.indices(self.n))]
        if i < 0:
            i += self.n
        if not 0 <= i < self.n:
            raise IndexError(i)
        return self._at(i)

    def __iter__(self) -> Iterator[int | float]:
        at = self._at
        for i in range(self.n):
            yield at(i)

    def bounds(self) -> tuple[int | float, int | float]:
        first, last = self._at(0), self._at(self.n - 1)
        return (min(first, last), max(first, last))

    def __repr__(self) -> str:
        return f"NumRange({self.start}, step={self.step}, n={self.n})"


def _number(lit: Literal) -> int | float | None:
    v = lit.value
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _sized(r: RangeValue, start: float, step: float, n: float, decimals: int,
           ints: bool) -> NumRange | AxisError:
    """The range, unless it holds more values than any sweep could walk."""
    if not math.isfinite(n) or n > MAX_AXIS_VALUES:
        return AxisError(Code.INVALID_RANGE,
                         f"the range holds more than {MAX_AXIS_VALUES:,} values", r.span)
    return NumRange(start, step, int(n), decimals, ints)


def _range_values(r: RangeValue) -> NumRange | AxisError:
    start, end = _number(r.start), _number(r.end)
    for lit, num in ((r.start, start), (r.end, end)):
        if num is None:
            return AxisError(Code.INVALID_RANGE,
                             f"range bound {lit.value!r} is not a finite number", lit.span)
    assert start is not None and end is not None
    decimals = max(decimals_of(r.start), decimals_of(r.end))
    all_ints = isinstance(start, int) and isinstance(end, int)
    if r.count is not None:
        count = r.count.value
        if isinstance(count, bool) or not isinstance(count, int):
            return AxisError(Code.INVALID_RANGE,
                             f"count {count!r} is not a whole number", r.count.span)
        if count < 1:
            return AxisError(Code.INVALID_RANGE, f"count {count} is less than 1", r.count.span)
        if count > MAX_AXIS_VALUES:
            return AxisError(Code.INVALID_RANGE, f"count {count} is more than {MAX_AXIS_VALUES:,}",
                             r.count.span)
        if count == 1:
            return NumRange(start, 0, 1, decimals, all_ints)
        step = (end - start) / (count - 1)
        if not math.isfinite(step):
            return AxisError(Code.INVALID_RANGE, "the range is wider than a float can hold", r.span)
        ints = all_ints and (end - start) % (count - 1) == 0
        if ints:
            return NumRange(start, (end - start) // (count - 1), count, 0, True)
        # evenly spaced values need more decimals than the bounds show: keep 12 at most,
        # enough to drop float noise (0.6000000000000001 -> 0.6)
        return NumRange(start, step, count, max(decimals, 12), False)
    if r.step is not None:
        step_v = _number(r.step)
        if step_v is None:
            return AxisError(Code.INVALID_RANGE, f"step {r.step.value!r} is not a finite number",
                             r.step.span)
        if step_v == 0:
            return AxisError(Code.INVALID_RANGE, "step is 0", r.step.span)
        if (end - start) * step_v < 0:
            return AxisError(
                Code.INVALID_RANGE,
                f"step {r.step.text or step_v} points away from the end ({r.start.text or start}"
                f"..{r.end.text or end})",
                r.step.span,
            )
        decimals = max(decimals, decimals_of(r.step))
        if all_ints and isinstance(step_v, int):
            return _sized(r, start, step_v, (end - start) // step_v + 1, decimals, True)
        steps = (end - start) / step_v
        n = math.floor(steps + 1e-9) + 1 if math.isfinite(steps) else math.inf
        return _sized(r, start, step_v, n, decimals, False)
    step_i = 1 if end >= start else -1
    if all_ints:
        return _sized(r, start, step_i, abs(end - start) + 1, decimals, True)
    width = abs(end - start)
    n = math.floor(width + 1e-9) + 1 if math.isfinite(width) else math.inf
    return _sized(r, start, step_i, n, decimals, False)


def random_range(param: Param | None) -> tuple[int, int]:
    """The documented range `random(n)` draws from: the parameter's, else 0..2^32."""
    if param is not None and param.numeric and param.minimum is not None:
        lo = math.ceil(param.minimum)
        hi = math.floor(param.maximum) if param.maximum is not None else RANDOM_DEFAULT_MAX
        return lo, hi
    return 0, RANDOM_DEFAULT_MAX


def default_random_seed(prompt: str, axis: str) -> int:
    digest = hashlib.sha256(f"{prompt}\x00{axis}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _random_values(r: RandomValue, param: Param | None, prompt: str, axis: str
                   ) -> list[int] | AxisError:
    n = r.n.value
    if isinstance(n, bool) or not isinstance(n, int):
        return AxisError(Code.INVALID_RANGE,
                         f"random() takes a whole number of values, got {n!r}", r.n.span)
    if n < 1:
        return AxisError(Code.INVALID_RANGE, f"random({n}) asks for fewer than 1 value", r.n.span)
    seed: int
    if r.seed is None:
        seed = default_random_seed(prompt, axis)
    else:
        s = r.seed.value
        if isinstance(s, bool) or not isinstance(s, int):
            return AxisError(Code.INVALID_RANGE,
                             f"random() seed {s!r} is not a whole number", r.seed.span)
        seed = s
    lo, hi = random_range(param)
    if n > MAX_RANDOM_VALUES:
        return AxisError(Code.INVALID_RANGE,
                         f"random({n}) asks for more than {MAX_RANDOM_VALUES:,} values",
                         r.n.span)
    if n > hi - lo + 1:
        return AxisError(Code.INVALID_RANGE,
                         f"random({n}) asks for more distinct values than {lo}..{hi} "
                         "holds", r.n.span)
    return random.Random(seed).sample(range(lo, hi + 1), n)


AxisValues = Sequence[Any]
"""Concrete axis values: scalars, or `FileRef`s for file parameters."""


def axis_values(value: Value, param: Param | None, prompt: str, axis: str
                ) -> AxisValues | AxisError:
    """The values one sweep axis takes, lazily where it can, or why it has none."""
    if isinstance(value, ListValue):
        return tuple([item.value if type(item) is Literal else _item_value(item)
                      for item in value.items])
    if isinstance(value, RangeValue):
        return _range_values(value)
    if isinstance(value, RandomValue):
        return _random_values(value, param, prompt, axis)
    return AxisError(
        Code.INVALID_STRUCTURE,
        f"sweep axis {axis!r} takes a list, a range or random(n), not a single value",
        value.span,
    )


def _item_value(item: Literal | FileRef | ListValue) -> Any:
    """A list item's value: a scalar, a `FileRef`, or (a point of an array parameter's
    axis) a tuple of those."""
    if isinstance(item, ListValue):
        return tuple(_item_value(i) for i in item.items)
    return item if isinstance(item, FileRef) else item.value


def item_span(value: Value, index: int) -> Span:
    """The place that holds the `index`-th value of an axis (the list item, else the axis)."""
    if isinstance(value, ListValue) and 0 <= index < len(value.items):
        return value.items[index].span
    return value.span
