"""ExportView: the period export (the reading that counts per meter and period) and the closed
periods, from the period streams. Checkpoint saved with each update; rebuildable from zero.

The stream already holds only what counts (late events were dropped, a withdrawal is recorded only
for the reading that counts), so applying it is a plain upsert / delete."""

from __future__ import annotations

import asyncpg
from meterbot_contracts.billing import BillingReading, PeriodClosed
from meterbot_platform.eventstore import RecordedEvent


class ExportView:
    name = "export_view"

    async def apply(self, conn: asyncpg.Connection, event: RecordedEvent) -> None:
        if event.type == BillingReading.TYPE:
            await self._reading(conn, BillingReading.model_validate(event.data))
        elif event.type == PeriodClosed.TYPE:
            closed = PeriodClosed.model_validate(event.data)
            await conn.execute(
                "INSERT INTO export_periods (period, closed_at, readings_count) VALUES ($1, $2, $3)"
                " ON CONFLICT (period) DO NOTHING",
                closed.period,
                closed.closed_at,
                closed.readings_count,
            )

    async def _reading(self, conn: asyncpg.Connection, reading: BillingReading) -> None:
        if reading.status == "withdrawn":
            await conn.execute(
                "DELETE FROM export_lines WHERE period = $1 AND meter_id = $2 AND reading_id = $3",
                reading.period,
                reading.meter_id,
                reading.reading_id,
            )
            return
        await conn.execute(
            """
            INSERT INTO export_lines (period, meter_id, account_number, meter_type, value, submitted_at,
                                      reading_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (period, meter_id) DO UPDATE SET
                account_number = excluded.account_number, meter_type = excluded.meter_type,
                value = excluded.value, submitted_at = excluded.submitted_at, reading_id = excluded.reading_id
            """,
            reading.period,
            reading.meter_id,
            reading.account_number,
            reading.meter_type.value,
            reading.value,
            reading.submitted_at,
            reading.reading_id,
        )

    async def clear(self, conn: asyncpg.Connection) -> None:
        await conn.execute("TRUNCATE export_lines, export_periods")
