"""Billing periods (calendar months in the billing time zone) and how times are shown to residents."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def period_of(at: datetime, tz: ZoneInfo) -> str:
    """ "YYYY-MM" of the month `at` falls in, in zone `tz` (naive datetimes are taken as UTC)."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    local = aware.astimezone(tz)
    return f"{local.year:04d}-{local.month:02d}"


def split_period(period: str) -> tuple[int, int]:
    year, month = period.split("-", 1)
    return int(year), int(month)


def local_time(at: datetime, tz: ZoneInfo) -> str:
    """A moment as residents read it: "05.03.2026 14:30" in the billing zone."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return aware.astimezone(tz).strftime("%d.%m.%Y %H:%M")
