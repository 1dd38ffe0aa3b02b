"""The billing period: a calendar month in the billing time zone, written "YYYY-MM". One type and one
way to compute it for every service, the CLI and the public schemas."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import StringConstraints

PERIOD_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
_PERIOD = re.compile(PERIOD_PATTERN)

# On the wire a plain JSON string (the constraint only validates), so events keep their bytes.
Period = Annotated[str, StringConstraints(pattern=PERIOD_PATTERN)]


def is_period(text: str) -> bool:
    return _PERIOD.match(text) is not None


def period_of_date(day: date) -> Period:
    return f"{day.year:04d}-{day.month:02d}"


def period_of(at: datetime, tz: ZoneInfo) -> Period:
    """The period an aware instant falls into, in the billing time zone `tz`."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"an aware datetime is required, got naive {at!r}")
    return period_of_date(at.astimezone(tz).date())


def split_period(period: Period) -> tuple[int, int]:
    """(year, month) of "YYYY-MM"."""
    year, month = period.split("-", 1)
    return int(year), int(month)
