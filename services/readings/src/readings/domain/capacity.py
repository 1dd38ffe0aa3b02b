"""The counter's capacity (issue 14 item 2): a meter whose registry row says it has `digits` integer
digits shows 0 again after 10^digits − 1.

- A value with more integer digits than the counter has (value ≥ 10^digits) cannot have been read
  off it: refused with its own reason (too_many_digits).
- A value below the previous one is a rollover candidate when the counter passing zero explains it
  within the hard limit: consumption = value + 10^digits − previous, with 0 < consumption ≤ max_delta.
  The resident is asked «Счётчик перешёл через ноль?»; Да records it with that consumption, Нет
  refuses it as below the previous value. Without `digits` nothing changes."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from readings.domain.errors import TooManyDigits


def counter_capacity(digits: int) -> int:
    """The first value the counter cannot show: it shows 0 instead."""
    return int(10**digits)


def check_digits(value: int, digits: int | None, *, previous: Decimal | None, min_allowed: int) -> None:
    """Raise TooManyDigits if `value` has more integer digits than a counter of `digits` digits."""
    if digits is not None and value >= counter_capacity(digits):
        raise TooManyDigits(digits, previous_value=previous, min_allowed=min_allowed)


def rollover_consumption(
    previous: Decimal | None, value: int, digits: int | None, max_delta: int
) -> Decimal | None:
    """The true consumption if `value` (below the previous value) is the counter having passed zero
    within max_delta; None if that does not explain it (or digits or the previous value is unknown)."""
    if previous is None or digits is None:
        return None
    capacity = counter_capacity(digits)
    if previous >= capacity or value >= previous.to_integral_value(rounding=ROUND_CEILING):
        return None
    consumption = value + capacity - previous
    return consumption if consumption <= max_delta else None
