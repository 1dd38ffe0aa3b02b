"""Views of the meter streams, each with its checkpoint saved in the transaction that updates it and
rebuildable from zero (ProjectionRunner.rebuild).

- PeriodReadings ("submitted this period"): the reading that counts per meter and period; a
  replacement supersedes, a withdrawal removes, a reconciliation puts back what billing counts.
- MeterHistory (the archive): every accepted reading of a meter, marked replaced, withdrawn or
  refused (by billing, its period closed) later."""

from __future__ import annotations

import asyncpg
from meterbot_contracts.readings import ReadingAccepted, ReadingReconciled, ReadingWithdrawn
from meterbot_platform.eventstore import RecordedEvent
from meterbot_platform.projection import Projection, message_of

_READING_TYPES = {ReadingAccepted.TYPE, ReadingWithdrawn.TYPE, ReadingReconciled.TYPE}
ReadingEvent = ReadingAccepted | ReadingWithdrawn | ReadingReconciled

_UPSERT_PERIOD_READING = """
    INSERT INTO period_readings (meter_id, period, account_number, meter_type, reading_id, value,
                                 previous_value, submitted_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    ON CONFLICT (meter_id, period) DO UPDATE SET
        account_number = excluded.account_number, meter_type = excluded.meter_type,
        reading_id = excluded.reading_id, value = excluded.value,
        previous_value = excluded.previous_value, submitted_at = excluded.submitted_at
"""


def _reading_event(event: RecordedEvent) -> ReadingEvent | None:
    message = message_of(event, _READING_TYPES)
    assert message is None or isinstance(message, ReadingEvent)
    return message


class PeriodReadings:
    name = "period_readings"

    async def apply(self, conn: asyncpg.Connection, event: RecordedEvent) -> None:
        message = _reading_event(event)
        if isinstance(message, ReadingAccepted):
            await conn.execute(
                _UPSERT_PERIOD_READING,
                message.meter_id,
                message.period,
                message.account_number,
                message.meter_type.value,
                message.reading_id,
                message.value,
                message.previous_value,
                message.submitted_at,
            )
        elif isinstance(message, ReadingWithdrawn):
            await conn.execute(
                "DELETE FROM period_readings WHERE meter_id = $1 AND period = $2 AND reading_id = $3",
                message.meter_id,
                message.period,
                message.reading_id,
            )
        elif isinstance(message, ReadingReconciled):
            await conn.execute(
                "DELETE FROM period_readings WHERE meter_id = $1 AND period = $2",
                message.meter_id,
                message.period,
            )
            if message.counted_reading_id is not None and message.counted_submitted_at is not None:
                await conn.execute(
                    _UPSERT_PERIOD_READING,
                    message.meter_id,
                    message.period,
                    message.account_number,
                    message.meter_type.value,
                    message.counted_reading_id,
                    message.counted_value,
                    message.counted_previous_value,
                    message.counted_submitted_at,
                )

    async def clear(self, conn: asyncpg.Connection) -> None:
        await conn.execute("TRUNCATE period_readings")


class MeterHistory:
    name = "meter_history"

    async def apply(self, conn: asyncpg.Connection, event: RecordedEvent) -> None:
        message = _reading_event(event)
        if isinstance(message, ReadingAccepted):
            if message.replaces_reading_id is not None:
                await conn.execute(
                    "UPDATE meter_history SET status = 'replaced', status_changed_at = $2"
                    " WHERE reading_id = $1 AND status = 'current'",
                    message.replaces_reading_id,
                    message.submitted_at,
                )
            await conn.execute(
                """
                INSERT INTO meter_history (reading_id, meter_id, account_number, meter_type, period, value,
                                           previous_value, submitted_at, status, position)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'current', $9)
                """,
                message.reading_id,
                message.meter_id,
                message.account_number,
                message.meter_type.value,
                message.period,
                message.value,
                message.previous_value,
                message.submitted_at,
                event.position,
            )
        elif isinstance(message, ReadingWithdrawn):
            await conn.execute(
                "UPDATE meter_history SET status = 'withdrawn', status_changed_at = $2 WHERE reading_id = $1",
                message.reading_id,
                event.occurred_at,
            )
        elif isinstance(message, ReadingReconciled):
            if message.refused == "accepted":
                await conn.execute(
                    "UPDATE meter_history SET status = 'refused', status_changed_at = $2"
                    " WHERE reading_id = $1",
                    message.refused_reading_id,
                    event.occurred_at,
                )
            if message.counted_reading_id is not None:
                await conn.execute(
                    "UPDATE meter_history SET status = 'current', status_changed_at = $2"
                    " WHERE reading_id = $1",
                    message.counted_reading_id,
                    event.occurred_at,
                )

    async def clear(self, conn: asyncpg.Connection) -> None:
        await conn.execute("TRUNCATE meter_history")


def projections() -> list[Projection]:
    return [PeriodReadings(), MeterHistory()]
