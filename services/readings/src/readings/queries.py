"""Read side: what the projections hold, as typed rows (no HTTP here; see http.py)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

import asyncpg
from meterbot_contracts.readings import MeterType, Period
from pydantic import BaseModel, ConfigDict


class PeriodReading(BaseModel):
    model_config = ConfigDict(frozen=True)

    meter_id: str
    meter_type: MeterType
    reading_id: UUID
    value: Decimal
    previous_value: Decimal | None
    submitted_at: datetime


class HistoryEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    reading_id: UUID
    account_number: str
    meter_type: MeterType
    period: Period
    value: Decimal
    previous_value: Decimal | None
    submitted_at: datetime
    status: Literal["current", "replaced", "withdrawn", "refused"]
    status_changed_at: datetime | None


async def period_readings(pool: asyncpg.Pool, account_number: str, period: Period) -> list[PeriodReading]:
    """The readings that count for the account's meters in `period`, by meter id."""
    rows = await pool.fetch(
        "SELECT meter_id, meter_type, reading_id, value, previous_value, submitted_at FROM period_readings"
        " WHERE account_number = $1 AND period = $2 ORDER BY meter_id",
        account_number,
        period,
    )
    return [PeriodReading.model_validate(dict(r)) for r in rows]


async def meter_history(pool: asyncpg.Pool, meter_id: str, limit: int = 120) -> list[HistoryEntry]:
    """The meter's accepted readings, newest first (withdrawn and replaced ones included, marked)."""
    rows = await pool.fetch(
        "SELECT reading_id, account_number, meter_type, period, value, previous_value, submitted_at,"
        " status, status_changed_at FROM meter_history WHERE meter_id = $1"
        " ORDER BY position DESC LIMIT $2",
        meter_id,
        limit,
    )
    return [HistoryEntry.model_validate(dict(r)) for r in rows]
