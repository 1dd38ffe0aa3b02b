"""Value rule: ceil(prev) <= v <= prev + max_delta, integers only (DESIGN §5, seed 000)."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from readings.domain import (
    NotAnInteger,
    NotANumber,
    ReadingAboveMaxDelta,
    ReadingBelowPrevious,
    ReadingRefused,
    validate_value,
    value_bounds,
)

pytestmark = pytest.mark.unit

integer_prev = st.integers(min_value=0, max_value=10**9).map(Decimal)
fractional_prev = st.builds(
    lambda whole, thousandths: Decimal(whole) + Decimal(thousandths) / 1000,
    st.integers(min_value=0, max_value=10**9),
    st.integers(min_value=1, max_value=999),
)
any_prev = st.one_of(integer_prev, fractional_prev)
deltas = st.integers(min_value=1, max_value=10_000)


def test_seed_example_250_550_refuses_250_and_accepts_251() -> None:
    # given the previous period's value 250.550 (seed 000: "предано, и рассчитано 250.550")
    prev = Decimal("250.550")
    # when / then
    with pytest.raises(ReadingBelowPrevious) as refused:
        validate_value("250", prev, 100)
    assert refused.value.previous_value == prev
    assert refused.value.min_allowed == 251
    assert refused.value.max_allowed == 350
    assert validate_value("251", prev, 100) == 251
    assert validate_value("350", prev, 100) == 350
    with pytest.raises(ReadingAboveMaxDelta):
        validate_value("351", prev, 100)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("123", 123), (" 123 ", 123), ("1 234", 1234), ("1\u00a0234", 1234), ("00251", 251), ("\t7\n", 7)],
)
def test_spaces_are_ignored_and_leading_zeros_kept_meaningless(raw: str, expected: int) -> None:
    assert validate_value(raw, None, 100) == expected


@pytest.mark.parametrize("raw", ["12.5", "12,5", "12.", ",5", "12.0", "0,000"])
def test_fractions_are_not_integers(raw: str) -> None:
    with pytest.raises(NotAnInteger):
        validate_value(raw, Decimal(10), 100)


@pytest.mark.parametrize(
    "raw", ["", "   ", "abc", "+5", "-5", "1e3", "12.5.1", "1,2,3", ".", "١٢٣", "１２", "5 кВт"]
)
def test_anything_else_is_not_a_number(raw: str) -> None:
    with pytest.raises(NotANumber):
        validate_value(raw, Decimal(10), 100)


def test_format_errors_carry_the_bounds_for_the_message() -> None:
    with pytest.raises(NotAnInteger) as refused:
        validate_value("12,5", Decimal("10.2"), 100)
    assert (refused.value.previous_value, refused.value.min_allowed, refused.value.max_allowed) == (
        Decimal("10.2"),
        11,
        110,
    )


def test_without_previous_value_any_non_negative_integer_is_accepted() -> None:
    assert validate_value("0", None, 100) == 0
    assert validate_value("987654321", None, 100) == 987654321
    assert value_bounds(None, 100).max_allowed is None


@given(prev=integer_prev, delta=deltas)
def test_integer_prev_accepts_prev_itself_and_prev_plus_max_delta(prev: Decimal, delta: int) -> None:
    assert validate_value(str(prev), prev, delta) == int(prev)
    assert validate_value(str(prev + delta), prev, delta) == int(prev) + delta


@given(prev=integer_prev, delta=deltas)
def test_integer_prev_refuses_one_below_and_max_delta_plus_one(prev: Decimal, delta: int) -> None:
    if prev > 0:
        with pytest.raises(ReadingBelowPrevious):
            validate_value(str(prev - 1), prev, delta)
    with pytest.raises(ReadingAboveMaxDelta) as refused:
        validate_value(str(prev + delta + 1), prev, delta)
    assert refused.value.max_allowed == int(prev) + delta


@given(prev=fractional_prev, delta=deltas)
def test_fractional_prev_lower_bound_is_its_ceiling(prev: Decimal, delta: int) -> None:
    floor, ceil = math.floor(prev), math.ceil(prev)
    assert ceil == floor + 1
    with pytest.raises(ReadingBelowPrevious):
        validate_value(str(floor), prev, delta)
    assert validate_value(str(ceil), prev, delta) == ceil


@given(prev=fractional_prev, delta=deltas)
def test_fractional_prev_upper_bound_is_floor_of_prev_plus_delta(prev: Decimal, delta: int) -> None:
    top = math.floor(prev + delta)
    assert validate_value(str(top), prev, delta) == top
    with pytest.raises(ReadingAboveMaxDelta):
        validate_value(str(top + 1), prev, delta)


@given(prev=any_prev, delta=deltas, value=st.integers(min_value=0, max_value=2 * 10**9))
def test_rule_agrees_with_its_definition(prev: Decimal, delta: int, value: int) -> None:
    expected_ok = Decimal(value) >= prev and Decimal(value) <= prev + delta
    try:
        validate_value(str(value), prev, delta)
    except ReadingRefused:
        assert not expected_ok
    else:
        assert expected_ok
