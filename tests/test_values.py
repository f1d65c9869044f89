"""Axis values: ranges rounded to the decimals written, counted ranges, random(n)."""

from __future__ import annotations

import pytest

from promptspec.axes import AxisError, NumRange, axis_values
from promptspec.model import Literal, RandomValue, RangeValue, Span
from promptspec.params import PARAMS

S = Span("x.pspec", 1, 1, 1, 2)


def lit(text: str) -> Literal:
    try:
        value: int | float | str = int(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            value = text
    return Literal(value, S, text)


def rng(start: str, end: str, step: str | None = None, count: str | None = None) -> object:
    r = RangeValue(lit(start), lit(end), lit(step) if step else None,
                   lit(count) if count else None, S)
    return axis_values(r, None, "p", "a")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("1", "4"), [1, 2, 3, 4]),
        (("4", "1"), [4, 3, 2, 1]),
        (("5", "9", "0.5"), [5.0, 5.5, 6.0, 6.5, 7.0, 7.5, 8.0, 8.5, 9.0]),
        (("0.1", "0.5", "0.1"), [0.1, 0.2, 0.3, 0.4, 0.5]),
        (("0", "1", "0.3"), [0.0, 0.3, 0.6, 0.9]),
        (("10", "20", "5"), [10, 15, 20]),
        (("20", "10", "-5"), [20, 15, 10]),
        (("0.2", "0.8", None, "4"), [0.2, 0.4, 0.6, 0.8]),
        (("0", "1", None, "3"), [0.0, 0.5, 1.0]),
        (("0", "1", None, "4"), [0.0, 0.333333333333, 0.666666666667, 1.0]),
        (("1", "10", None, "4"), [1, 4, 7, 10]),
        (("5", "5", None, "1"), [5]),
        (("6", "9", "1.5"), [6.0, 7.5, 9.0]),
    ],
)
def test_ranges(args: tuple[str, ...], expected: list[float]) -> None:
    values = rng(*args)
    assert isinstance(values, NumRange)
    got = list(values)
    assert got == expected
    assert [type(v) for v in got] == [type(v) for v in expected]
    assert [repr(v) for v in got] == [repr(v) for v in expected]
    assert len(values) == len(expected)
    assert values[-1] == expected[-1]


def test_int_range_types_stay_int() -> None:
    values = rng("1", "3")
    assert isinstance(values, NumRange)
    assert all(type(v) is int for v in values)


@pytest.mark.parametrize(
    "args",
    [("1", "5", "0"), ("10", "20", "-5"), ("1", "5", None, "0"), ("a", "5"), ("1", "b"),
     ("1", "5", "x")],
)
def test_invalid_ranges(args: tuple[str, ...]) -> None:
    err = rng(*args)
    assert isinstance(err, AxisError)
    assert err.code == "PS407"


def test_huge_range_is_lazy() -> None:
    values = rng("0", "1000000000000")
    assert isinstance(values, NumRange)
    assert len(values) == 1_000_000_000_001
    assert values[10**12] == 10**12
    assert values.bounds() == (0, 10**12)


def test_random_is_deterministic_distinct_and_in_range() -> None:
    r = RandomValue(lit("6"), None, S)
    a = axis_values(r, PARAMS["seed"], "portrait", "seed")
    b = axis_values(r, PARAMS["seed"], "portrait", "seed")
    c = axis_values(r, PARAMS["seed"], "other", "seed")
    assert isinstance(a, list) and isinstance(c, list)
    assert a == b and a != c
    assert len(set(a)) == 6
    assert all(0 <= v <= 2**32 for v in a)
    steps = axis_values(RandomValue(lit("5"), lit("42"), S), PARAMS["steps"], "p", "steps")
    assert isinstance(steps, list) and all(0 <= v <= 50 for v in steps)
    assert steps == axis_values(RandomValue(lit("5"), lit("42"), S), PARAMS["steps"], "q", "s")


def test_random_asking_too_much() -> None:
    err = axis_values(RandomValue(lit("9"), None, S), PARAMS["num_images"], "p", "num_images")
    assert isinstance(err, AxisError) and err.code == "PS407"
