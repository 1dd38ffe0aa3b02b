"""Billing period and submission window (DESIGN §5).

Period = calendar month in the billing time zone ("YYYY-MM"). Window = the days of the month on which
readings are accepted, from a setting such as "1-31", "15-25" or "1-5,20-31" (default: every day). A day
the month does not have is simply never reached ("29-31" never opens in a 28-day February)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from meterbot_contracts.readings import Period
from pydantic import BaseModel, ConfigDict, model_validator

MAX_DAY = 31


class WindowSpecError(ValueError):
    """A window setting that is not a comma-separated list of days or day ranges within 1..31."""


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"an aware datetime is required, got naive {at!r}")
    return at


def local_date(at: datetime, tz: ZoneInfo) -> date:
    """The calendar date of `at` in the billing time zone."""
    return _aware(at).astimezone(tz).date()


def period_of_date(day: date) -> Period:
    return f"{day.year:04d}-{day.month:02d}"


def period_of(at: datetime, tz: ZoneInfo) -> Period:
    """The billing period (calendar month in `tz`) an aware instant falls into."""
    return period_of_date(local_date(at, tz))


def _check_ranges(ranges: Sequence[tuple[int, int]]) -> None:
    if not ranges:
        raise WindowSpecError("a window needs at least one day range")
    for first, last in ranges:
        if not 1 <= first <= last <= MAX_DAY:
            raise WindowSpecError(f"bad day range {first}-{last}: need 1 <= first <= last <= {MAX_DAY}")


class SubmissionWindow(BaseModel):
    """Inclusive day-of-month ranges on which readings are accepted."""

    model_config = ConfigDict(frozen=True)

    ranges: tuple[tuple[int, int], ...]

    @model_validator(mode="after")
    def _check(self) -> SubmissionWindow:
        _check_ranges(self.ranges)
        return self

    @classmethod
    def every_day(cls) -> SubmissionWindow:
        return cls(ranges=((1, MAX_DAY),))

    @classmethod
    def parse(cls, spec: str) -> SubmissionWindow:
        """ "1-5, 20-31" -> ranges ((1, 5), (20, 31)); a single day "10" is the range 10-10."""
        ranges: list[tuple[int, int]] = []
        for part in spec.split(","):
            first, sep, last = part.strip().partition("-")
            try:
                start = int(first)
                end = int(last) if sep else start
            except ValueError:
                raise WindowSpecError(
                    f"bad window {spec!r}: {part.strip()!r} is not a day or a range"
                ) from None
            ranges.append((start, end))
        _check_ranges(ranges)
        return cls(ranges=tuple(ranges))

    def is_open(self, day: date) -> bool:
        return any(first <= day.day <= last for first, last in self.ranges)

    def __str__(self) -> str:
        return ",".join(f"{a}-{b}" if a != b else str(a) for a, b in self.ranges)
