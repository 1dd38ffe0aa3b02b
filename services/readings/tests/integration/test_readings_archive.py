"""The archive projection over real PostgreSQL (no broker): a registry value, readings over several
months (a replacement, a withdrawal, a late change billing refused) end up as one value per month
with its consumption; the view rebuilt from zero equals the live one; the HTTP route serves it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from meterbot_contracts import new_envelope
from meterbot_contracts.accounts import AccountLinked
from meterbot_contracts.billing import LateReadingRefused, RegistryRecord
from meterbot_contracts.readings import ReadingSubmitted, ReadingWithdrawalRequested
from meterbot_platform.eventstore import EventStore
from meterbot_platform.migrations import migrate
from meterbot_platform.projection import ProjectionRunner
from readings.application.commands import Deps, command_handler
from readings.application.facts import record_link
from readings.application.reconciliation import reconcile
from readings.application.registry import registry_handler
from readings.archive import MeterArchive, account_archive, archive_routes
from readings.domain import ReadingPolicy
from readings.migrations import MIGRATIONS

from .readings_harness import registry_meter

pytestmark = pytest.mark.integration
STORE = EventStore()


def at(month: int) -> datetime:
    return datetime(2025, month, 10, 9, tzinfo=UTC)


@pytest.fixture
async def db(pool: asyncpg.Pool) -> asyncpg.Pool:
    await migrate(pool, MIGRATIONS)
    return pool


async def submit(
    db: asyncpg.Pool, month: int, *commands: ReadingSubmitted | ReadingWithdrawalRequested
) -> None:
    deps = Deps(store=STORE, policy=ReadingPolicy(), clock=lambda: at(month))
    for command in commands:
        await command_handler(db, deps)([(new_envelope(command), command)])


def reading(raw: str) -> ReadingSubmitted:
    return ReadingSubmitted(chat_id=7, account_number="A1", meter_id="M1", raw_value=raw)


async def reading_id(db: asyncpg.Pool, value: int) -> UUID:
    found = await db.fetchval(
        "SELECT data->>'reading_id' FROM events WHERE type = 'ReadingAccepted' AND (data->>'value')::numeric = $1",
        value,
    )
    return UUID(found)


async def snapshot(db: asyncpg.Pool) -> list[tuple[object, ...]]:
    rows = await db.fetch(
        "SELECT meter_id, period, source, account_number, value, reading_id FROM meter_archive ORDER BY 1, 2, 3"
    )
    return [tuple(r) for r in rows]


async def test_the_archive_counts_across_withdrawn_and_reconciled_readings_and_rebuilds(
    db: asyncpg.Pool,
) -> None:
    record = RegistryRecord(account_number="A1", surname="Иванов", meters=[registry_meter("M1")])
    await registry_handler(db, STORE)([(new_envelope(record), record)])  # 250.550 on 2025-02-25
    async with db.acquire() as conn, conn.transaction():
        await record_link(conn, AccountLinked(chat_id=7, account_number="A1", address=""), at(3))
    await submit(db, 3, reading("260"))
    withdraw = ReadingWithdrawalRequested(chat_id=7, account_number="A1", meter_id="M1")
    await submit(db, 4, reading("270"), reading("275"), withdraw)  # April: replaced, then withdrawn
    await submit(db, 5, reading("280"), reading("290"))
    # billing had closed May before the replacement reached it: 280 is what counts again
    refusal = LateReadingRefused(
        reading_id=await reading_id(db, 290),
        refused="accepted",
        chat_id=7,
        account_number="A1",
        meter_id="M1",
        period="2025-05",
        value=Decimal(290),
        closed_at=at(6),
        counted_reading_id=await reading_id(db, 280),
        counted_value=Decimal(280),
    )
    async with db.acquire() as conn, conn.transaction():
        await reconcile(conn, STORE, new_envelope(refusal), refusal)

    runner = ProjectionRunner(db, MeterArchive(), service="test")
    await runner.catch_up()
    [meter] = await account_archive(db, "A1")
    assert meter.meter_id == "M1"
    assert [(m.period, m.value, m.source, m.used, m.since) for m in meter.months] == [
        ("2025-02", Decimal("250.550"), "registry", None, None),
        ("2025-03", Decimal(260), "reading", Decimal("9.450"), "2025-02"),
        ("2025-05", Decimal(280), "reading", Decimal(20), "2025-03"),  # April withdrawn: spanned
    ]

    live = await snapshot(db)
    assert await runner.rebuild() == await db.fetchval("SELECT count(*) FROM events")
    assert await snapshot(db) == live
    assert await account_archive(db, "other") == []

    app = web.Application()
    app.add_routes(archive_routes(db))
    async with (
        TestServer(app) as server,
        aiohttp.ClientSession() as http,
        http.get(server.make_url("/accounts/A1/archive")) as resp,
    ):
        body = await resp.json()
    assert [(m["period"], m["value"], m["used"]) for m in body["meters"][0]["months"]] == [
        ("2025-02", "250.550", None),
        ("2025-03", "260", "9.450"),
        ("2025-05", "280", "20"),
    ]
