"""Billing periods (one rule, in the contracts) and how times are shown to residents."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from meterbot_contracts.period import period_of, split_period

__all__ = ["local_time", "period_of", "split_period"]


def local_time(at: datetime, tz: ZoneInfo) -> str:
    """A moment as residents read it: "05.03.2026 14:30" in the billing zone."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return aware.astimezone(tz).strftime("%d.%m.%Y %H:%M")
