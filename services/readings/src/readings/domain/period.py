"""Billing period and submission window (DESIGN §5).

Period = calendar month in the billing time zone ("YYYY-MM"; the rule lives in meterbot_contracts.period).
Window = the days of the month on which readings are accepted, from a setting such as "1-31", "15-25" or
"1-5,20-31" (default: every day; meterbot_contracts.window). A day the month does not have is simply
never reached ("29-31" never opens in a 28-day February)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from meterbot_contracts.period import period_of, period_of_date
from meterbot_contracts.window import SubmissionWindow, WindowSpecError

__all__ = ["SubmissionWindow", "WindowSpecError", "local_date", "period_of", "period_of_date"]


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"an aware datetime is required, got naive {at!r}")
    return at


def local_date(at: datetime, tz: ZoneInfo) -> date:
    """The calendar date of `at` in the billing time zone."""
    return _aware(at).astimezone(tz).date()
