"""The reading value rule (DESIGN §5): an integer v with ceil(prev) <= v <= prev + max_delta.

"Значением является целое число более указанного за предыдущий период (NNN) даже с учетом
возможной дробной части, но не более чем на 100 (NNN+100)": prev 250.550 refuses 250 and accepts
251..350. Equal to an integer prev is allowed (an unchanged meter is entered again)."""

from __future__ import annotations

import re
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from pydantic import BaseModel, ConfigDict

from readings.domain.errors import (
    NotAnInteger,
    NotANumber,
    ReadingAboveMaxDelta,
    ReadingBelowPrevious,
    ReadingRefused,
)

_INTEGER = re.compile(r"[0-9]+")
_FRACTION = re.compile(r"[0-9]+[.,][0-9]*|[0-9]*[.,][0-9]+")


class ValueBounds(BaseModel):
    """The integers a resident may enter: min_allowed..max_allowed (no upper bound without prev)."""

    model_config = ConfigDict(frozen=True)

    previous_value: Decimal | None
    min_allowed: int
    max_allowed: int | None

    def refusal(self, kind: type[ReadingRefused]) -> ReadingRefused:
        """The refusal `kind`, carrying these bounds for the resident message."""
        return kind(
            previous_value=self.previous_value,
            min_allowed=self.min_allowed,
            max_allowed=self.max_allowed,
        )


def value_bounds(previous: Decimal | None, max_delta: int) -> ValueBounds:
    """Lower bound ceil(prev), upper bound floor(prev + max_delta); a meter without prev takes any v >= 0."""
    if previous is None:
        return ValueBounds(previous_value=None, min_allowed=0, max_allowed=None)
    lowest = int(previous.to_integral_value(rounding=ROUND_CEILING))
    highest = int((previous + max_delta).to_integral_value(rounding=ROUND_FLOOR))
    return ValueBounds(previous_value=previous, min_allowed=lowest, max_allowed=highest)


def parse_value(raw: str, bounds: ValueBounds) -> int:
    """Raw text -> integer. Whitespace anywhere is ignored ("1 234"); only ASCII digits count;
    a sign, an exponent or anything else is not a number; "12.5", "12,5", "12." are not integers."""
    text = "".join(raw.split())
    if _INTEGER.fullmatch(text):
        return int(text)
    if _FRACTION.fullmatch(text):
        raise bounds.refusal(NotAnInteger)
    raise bounds.refusal(NotANumber)


def check_range(value: int, bounds: ValueBounds) -> None:
    if value < bounds.min_allowed:
        raise bounds.refusal(ReadingBelowPrevious)
    if bounds.max_allowed is not None and value > bounds.max_allowed:
        raise bounds.refusal(ReadingAboveMaxDelta)


def validate_value(raw: str, previous: Decimal | None, max_delta: int) -> int:
    """The whole value rule: parse, then range. Raises a ReadingRefused subclass."""
    bounds = value_bounds(previous, max_delta)
    value = parse_value(raw, bounds)
    check_range(value, bounds)
    return value
