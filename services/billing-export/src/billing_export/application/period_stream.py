"""The period aggregate's stream, `period-YYYY-MM`: BillingReading events (what billing is told) and at
most one PeriodClosed.

A period holds up to a million readings, so a decision never folds the whole stream. What the domain
looks at is small and is read straight from the indexed events table (see migrations.py):
- for one reading event: whether the period is closed, and the reading that counts for its meter
  (also once closed: a late event is refused naming it);
- for closing: whether it is closed, and how many meters have a reading that counts (counted by
  PostgreSQL; a million readings are not loaded to be counted).
The reading that counts for a meter is given by the meter's LAST BillingReading: "accepted" sets it,
"withdrawn" removes it (billing-export records a withdrawal only of the reading that counts).

One writer per period at a time: loading takes a transaction-scoped advisory lock on the stream, so
closing a large period is not retried over and over because readings kept arriving; they wait for it
instead, and then find the period closed. The expected version still guards the append. The version
is read first, so whatever commits after it makes the append fail (ConcurrencyConflict -> retry)
rather than go unseen."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from meterbot_contracts.billing import BillingReading, PeriodClosed
from meterbot_contracts.readings import Period
from meterbot_platform.eventstore import EventStore

from billing_export.domain import PeriodExport

STREAM_PREFIX = "period-"

# The last BillingReading of each meter of the stream ($1), optionally of one meter ($2): its data.
_LAST_PER_METER = """
    SELECT DISTINCT ON (data->>'meter_id') data FROM events
    WHERE stream_id = $1 AND type = 'BillingReading' {meter_filter}
    ORDER BY data->>'meter_id', stream_version DESC
"""
_COUNTING_FOR_METER = f"""
    SELECT data::text FROM ({_LAST_PER_METER.format(meter_filter="AND data->>'meter_id' = $2")}) AS last
    WHERE data->>'status' = 'accepted'
"""
_COUNTING = f"""
    SELECT count(*) FROM ({_LAST_PER_METER.format(meter_filter="")}) AS last
    WHERE data->>'status' = 'accepted'
"""


def period_stream(period: Period) -> str:
    return f"{STREAM_PREFIX}{period}"


@dataclass(frozen=True)
class PeriodSnapshot:
    """What a decision on the period needs, its stream version, and its PeriodClosed if any."""

    state: PeriodExport
    version: int
    closed: PeriodClosed | None


async def _lock_and_version(conn: asyncpg.Connection, store: EventStore, stream: str) -> int:
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", stream)
    return await store.stream_version(conn, stream)


async def _closed(conn: asyncpg.Connection, stream: str) -> PeriodClosed | None:
    data = await conn.fetchval(
        "SELECT data::text FROM events WHERE stream_id = $1 AND type = 'PeriodClosed'"
        " ORDER BY stream_version LIMIT 1",
        stream,
    )
    return None if data is None else PeriodClosed.model_validate_json(data)


def _state(period: Period, closed: PeriodClosed | None, readings: list[BillingReading]) -> PeriodExport:
    return PeriodExport(
        period=period,
        closed_at=closed.closed_at if closed else None,
        readings={r.meter_id: r for r in readings},
    )


async def load_for_meter(
    conn: asyncpg.Connection, store: EventStore, period: Period, meter_id: str
) -> PeriodSnapshot:
    """The period as far as one meter's reading events are concerned (to_billing, is_late, evolve
    look at nothing else): closed or not, and that meter's reading that counts."""
    stream = period_stream(period)
    version = await _lock_and_version(conn, store, stream)
    closed = await _closed(conn, stream)
    data = await conn.fetchval(_COUNTING_FOR_METER, stream, meter_id)
    readings = [BillingReading.model_validate_json(data)] if data else []
    return PeriodSnapshot(_state(period, closed, readings), version, closed)


async def load_for_close(
    conn: asyncpg.Connection, store: EventStore, period: Period
) -> tuple[PeriodSnapshot, int]:
    """The period without its readings, and how many meters have a reading that counts."""
    stream = period_stream(period)
    version = await _lock_and_version(conn, store, stream)
    closed = await _closed(conn, stream)
    count = closed.readings_count if closed else int(await conn.fetchval(_COUNTING, stream))
    return PeriodSnapshot(_state(period, closed, []), version, closed), count
