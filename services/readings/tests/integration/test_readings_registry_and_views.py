"""The registry import and the views at the application level, over real PostgreSQL (no broker):
a batch in one transaction, redelivery, meters moving between accounts; projections rebuilt from zero
end up equal to the live ones."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
import pytest
from meterbot_contracts import Envelope, new_envelope
from meterbot_contracts.accounts import AccountLinked
from meterbot_contracts.billing import RegistryRecord
from meterbot_contracts.readings import ReadingSubmitted, ReadingWithdrawalRequested
from meterbot_platform.eventstore import EventStore
from meterbot_platform.migrations import migrate
from meterbot_platform.projection import Projection, ProjectionRunner
from readings.application.commands import Deps, submit_reading, withdraw_reading
from readings.application.facts import record_link
from readings.application.registry import import_batch
from readings.domain import ReadingPolicy
from readings.migrations import MIGRATIONS
from readings.projections import MeterHistory, PeriodReadings

from .readings_harness import registry_meter

pytestmark = pytest.mark.integration
NOW = datetime(2025, 3, 10, 9, tzinfo=UTC)
STORE = EventStore()


@pytest.fixture
async def db(pool: asyncpg.Pool) -> asyncpg.Pool:
    await migrate(pool, MIGRATIONS)
    return pool


def record(account: str, *meter_ids: str, last_value: str = "250.550") -> tuple[Envelope, RegistryRecord]:
    message = RegistryRecord(
        account_number=account,
        surname="Иванов",
        meters=[registry_meter(m, last_value=last_value) for m in meter_ids],
    )
    return new_envelope(message), message


async def events(pool: asyncpg.Pool, meter_id: str) -> list[tuple[str, str | None]]:
    rows = await pool.fetch(
        "SELECT type, data->>'account_number' AS account FROM events WHERE stream_id = $1"
        " ORDER BY stream_version",
        f"meter-{meter_id}",
    )
    return [(r["type"], r["account"]) for r in rows]


async def test_a_batch_applies_in_order_once(db: asyncpg.Pool) -> None:
    first = record("A1", "M1", "M2")
    batch = [first, record("A2", "M3"), record("A1", "M1"), first]  # A1 shrinks; then a redelivery
    async with db.acquire() as conn, conn.transaction():
        assert len(await import_batch(conn, STORE, batch)) == 3
    assert await events(db, "M1") == [("MeterRegistered", "A1")]
    assert await events(db, "M2") == [("MeterRegistered", "A1"), ("MeterClosed", "A1")]
    rows = await db.fetch("SELECT account_number, meter_id FROM account_meters ORDER BY 1, 2")
    assert [tuple(r) for r in rows] == [("A1", "M1"), ("A2", "M3")]

    async with db.acquire() as conn, conn.transaction():  # the whole poll delivered again
        assert await import_batch(conn, STORE, batch) == set()
    assert await db.fetchval("SELECT count(*) FROM events") == 4


async def test_a_meter_moving_to_another_account_is_not_closed_by_the_old_one(db: asyncpg.Pool) -> None:
    async with db.acquire() as conn, conn.transaction():
        await import_batch(conn, STORE, [record("A1", "M1"), record("A2", "M1"), record("A1")])
    assert await events(db, "M1") == [("MeterRegistered", "A1"), ("MeterRegistered", "A2")]


async def test_projections_rebuilt_from_zero_equal_the_live_views(db: asyncpg.Pool) -> None:
    deps = Deps(store=STORE, policy=ReadingPolicy(), clock=lambda: NOW)
    async with db.acquire() as conn, conn.transaction():
        await import_batch(conn, STORE, [record("A1", "M1", "M2")])
        await record_link(conn, AccountLinked(chat_id=7, account_number="A1", address=""), NOW)
    for meter_id, raw in [("M1", "260"), ("M2", "300"), ("M1", "270"), ("M2", "abc")]:
        command = ReadingSubmitted(chat_id=7, account_number="A1", meter_id=meter_id, raw_value=raw)
        async with db.acquire() as conn, conn.transaction():
            await submit_reading(conn, deps, new_envelope(command), command)
    async with db.acquire() as conn, conn.transaction():
        command2 = ReadingWithdrawalRequested(chat_id=7, account_number="A1", meter_id="M2")
        await withdraw_reading(conn, deps, new_envelope(command2), command2)

    views: list[tuple[Projection, str, str]] = [
        (PeriodReadings(), "period_readings", "meter_id"),
        (MeterHistory(), "meter_history", "reading_id"),
    ]
    for projection, table, key in views:
        runner = ProjectionRunner(db, projection, service="test")
        await runner.catch_up()
        live = await _table(db, table, key)
        assert await runner.rebuild() == 7  # 2 registrations, 4 answers, 1 withdrawal
        assert await _table(db, table, key) == live
    assert await _table(db, "period_readings", "meter_id") == [("M1", "2025-03", Decimal(270))]


async def _table(pool: asyncpg.Pool, table: str, key: str) -> list[tuple[object, ...]]:
    if table == "period_readings":
        rows = await pool.fetch("SELECT meter_id, period, value FROM period_readings ORDER BY meter_id")
        return [tuple(r) for r in rows]
    rows = await pool.fetch(f"SELECT * FROM {table} ORDER BY {key}")
    return [tuple(r) for r in rows]
