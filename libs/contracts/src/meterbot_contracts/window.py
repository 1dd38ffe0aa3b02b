"""The submission window (DESIGN §5): the days of the month on which readings are accepted, from
the setting METERBOT_READINGS_WINDOW_DAYS ("1-31", "15-25", "1-5,20-31"). readings enforces it; the
bot names the open days before a resident types a value. A day the month does not have is simply
never reached ("29-31" never opens in a 28-day February)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, model_validator

MAX_DAY = 31


class WindowSpecError(ValueError):
    """A window setting that is not a comma-separated list of days or day ranges within 1..31."""


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

    def next_open(self, day: date) -> date | None:
        """The first open day on or after `day` (within a year; None if the window never opens)."""
        for offset in range(366):
            candidate = day + timedelta(days=offset)
            if self.is_open(candidate):
                return candidate
        return None

    def __str__(self) -> str:
        return ",".join(f"{a}-{b}" if a != b else str(a) for a, b in self.ranges)
