"""How many requests and images a resolved prompt expands to, without enumerating its sweep.

Requests are the product of the axis lengths (a zip is one axis); images are the sum of
`num_images` over those requests (1 where it is unset), which needs only the values of the
axis that sweeps `num_images`, never the product. A count that cannot be known (an axis
with no values, PS402, or an invalid range, PS407) is None. A zip whose members differ in
length (PS401) counts its shortest member, as PS403 does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from promptspec.axes import AxisError, NumRange, axis_values
from promptspec.lint.rules._axis_samples import RandomInts, lint_axis_values
from promptspec.model import Literal
from promptspec.params import PARAMS
from promptspec.resolve import ResolvedPrompt

__all__ = ["Counts", "prompt_counts"]

Counts = tuple[int, int]
"""(requests, images)."""

_IMAGES = "num_images"
_DRAWN = 10_000
"""A `random(n)` of num_images is drawn (as expansion draws it) up to this many values."""


def _images_of(value: Any) -> int:
    """`num_images` of one request: the value when it is a whole number, else 1."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        return 1
    return int(value)


def _sum_images(values: Sequence[Any] | RandomInts) -> int:
    if isinstance(values, RandomInts):  # n distinct values in lo..hi, not drawn: the mean
        return values.n * (values.lo + values.hi) // 2
    if isinstance(values, NumRange) and len(values) > 1000:
        first, last = values[0], values[-1]
        return _images_of(first) * len(values) if first == last else int(
            len(values) * (first + last) / 2)
    return sum(_images_of(v) for v in values)


def prompt_counts(rp: ResolvedPrompt) -> Counts | None:
    """(requests, images) of one resolved prompt, or None when an axis has no values."""
    lengths: list[int] = []
    images_axis: int | None = None
    images_values: Sequence[Any] | RandomInts = ()
    for ai, axis in enumerate(rp.axes):
        member_lengths: list[int] = []
        for f in axis.members:
            values = lint_axis_values(f, rp.name)
            if isinstance(values, AxisError) or len(values) == 0:
                return None
            member_lengths.append(len(values))
            if f.name == _IMAGES:
                if isinstance(values, RandomInts) and values.n <= _DRAWN:
                    drawn = axis_values(f.value, PARAMS.get(f.name), rp.name, f.name)
                    values = values if isinstance(drawn, AxisError) else drawn
                images_axis, images_values = ai, values
        # a zip whose members differ in length (PS401) counts as lint counts it (PS403):
        # its shortest member
        lengths.append(min(member_lengths))
        if images_axis == ai and not isinstance(images_values, RandomInts):
            images_values = images_values[: lengths[-1]]
    requests = math.prod(lengths)
    if images_axis is not None:
        others = math.prod(n for i, n in enumerate(lengths) if i != images_axis)
        return requests, others * _sum_images(images_values)
    setting = rp.params.get(_IMAGES)
    value = setting.field.value if setting is not None else None
    per_request = _images_of(value.value) if isinstance(value, Literal) else 1
    return requests, requests * per_request
