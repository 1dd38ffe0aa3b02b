"""billing-export's handlers over real PostgreSQL (no broker): closing while readings keep arriving
counts exactly what the export holds; the export view rebuilt from zero equals the live one."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg
import pytest
from billing_export.application.closing import close_period
from billing_export.application.readings import record_reading
from billing_export.migrations import MIGRATIONS
from billing_export.projections import ExportView
from meterbot_contracts import new_envelope
from meterbot_contracts.readings import ReadingAccepted, ReadingWithdrawn
from meterbot_platform.eventstore import EventStore
from meterbot_platform.migrations import migrate
from meterbot_platform.projection import ProjectionRunner

from .billing_export_harness import accepted, withdrawn

pytestmark = pytest.mark.integration
PERIOD = "2025-03"
STORE = EventStore()
NOW = datetime(2025, 3, 26, 9, tzinfo=UTC)


@pytest.fixture
async def db(pool: asyncpg.Pool) -> asyncpg.Pool:
    await migrate(pool, MIGRATIONS)
    return pool


async def record(pool: asyncpg.Pool, event: ReadingAccepted | ReadingWithdrawn) -> str:
    async with pool.acquire() as conn, conn.transaction():
        outcome, _ = await record_reading(conn, STORE, new_envelope(event), event)
        return outcome


async def close(pool: asyncpg.Pool) -> int:
    result = await close_period(
        pool, STORE, PERIOD, now=NOW, current_period=PERIOD, correlation_id="c", force=True
    )
    return result.closed.readings_count


async def test_closing_amid_readings_counts_what_the_export_holds(db: asyncpg.Pool) -> None:
    handled, halfway = 0, asyncio.Event()

    async def meter_writer(i: int) -> list[str]:
        nonlocal handled
        first = accepted(f"A{i}", f"M{i}", 100, PERIOD)
        outcomes = [await record(db, first)]
        for value in range(101, 110):
            outcomes.append(await record(db, accepted(f"A{i}", f"M{i}", value, PERIOD)))
            handled += 1
            if handled == 40:
                halfway.set()
        outcomes.append(await record(db, withdrawn(first)))  # replaced already: records nothing
        return outcomes

    writers = [asyncio.create_task(meter_writer(i)) for i in range(12)]
    await halfway.wait()
    count = await close(db)
    results = await asyncio.gather(*writers)

    assert all(set(r) <= {"recorded", "late", "ignored"} for r in results)
    assert any("late" in r for r in results) and any("recorded" in r for r in results)
    types = [
        r["type"]
        for r in await db.fetch(
            "SELECT type FROM events WHERE stream_id = $1 ORDER BY stream_version", f"period-{PERIOD}"
        )
    ]
    # nothing is billed after the close; each late reading is refused there instead
    closed_at = types.index("PeriodClosed")
    assert types.count("PeriodClosed") == 1 and "BillingReading" not in types[closed_at:]
    late = sum(r.count("late") for r in results)
    assert types[closed_at + 1 :].count("LateReadingRefused") > 0
    assert (
        types[closed_at + 1 :].count("LateReadingRefused") <= late
    )  # a late withdrawal of a replaced one: none
    view = ProjectionRunner(db, ExportView(), service="test")
    await view.catch_up()
    assert count == await db.fetchval("SELECT count(*) FROM export_lines WHERE period = $1", PERIOD)
    assert await close(db) == count  # closing again reports the first closing


async def test_export_view_rebuilt_from_zero_equals_the_live_one(db: asyncpg.Pool) -> None:
    first, other = accepted("A1", "M1", 260, PERIOD), accepted("A1", "M2", 30, PERIOD)
    for event in (
        first,
        other,
        accepted("A1", "M1", 270, PERIOD, replaces=first.reading_id),
        withdrawn(other),
        accepted("A2", "M3", 5, "2025-02"),
    ):
        await record(db, event)
    await close(db)
    view = ProjectionRunner(db, ExportView(), service="test")
    await view.catch_up()
    live = [tuple(r) for r in await db.fetch("SELECT * FROM export_lines ORDER BY period, meter_id")]
    periods = [tuple(r) for r in await db.fetch("SELECT * FROM export_periods")]
    assert await view.rebuild() == 6
    assert [tuple(r) for r in await db.fetch("SELECT * FROM export_lines ORDER BY period, meter_id")] == live
    assert [tuple(r) for r in await db.fetch("SELECT * FROM export_periods")] == periods
    assert [(r[0], r[1]) for r in live] == [("2025-02", "M3"), (PERIOD, "M1")]
