"""rm_archive on a gateway database that consumed its events before the table existed: the
migration fills it from what the read model holds (readings that count, registry values), and
events applied afterwards go on from there."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
import pytest
from meterbot_contracts.readings import MeterType, ReadingAccepted
from meterbot_platform.db import database_dsn
from meterbot_platform.migrations import migrate
from meterbot_platform.runtime import PLATFORM_MIGRATIONS
from meterbot_testing.infra import Postgres
from telegram_gateway.readmodel.projection import apply_all
from telegram_gateway.storage.schema import MIGRATIONS

pytestmark = pytest.mark.integration

ARCHIVE = "gateway/archive_001_rm_archive"


async def test_the_archive_migration_fills_the_table_from_the_read_model(postgres: Postgres) -> None:
    name = f"gw_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(postgres.dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    pool = await asyncpg.create_pool(database_dsn(postgres.dsn, name), min_size=1, max_size=2)
    try:
        before = [m for m in MIGRATIONS if m.name != ARCHIVE]
        await migrate(pool, (*PLATFORM_MIGRATIONS, *before))
        await pool.execute(
            "INSERT INTO rm_meters (meter_id, account_number, meter_type, last_value, last_value_date)"
            " VALUES ('M1', 'A1', 'cold_water', 250.550, '2026-01-31')"
        )
        await pool.execute(
            "INSERT INTO rm_readings (reading_id, meter_id, account_number, period, value, submitted_at, status)"
            " VALUES ($1, 'M1', 'A1', '2026-02', 260, '2026-02-20T09:00Z', 'current'),"
            "        ($2, 'M1', 'A1', '2026-03', 270, '2026-03-20T09:00Z', 'superseded'),"
            "        ($3, 'M1', 'A1', '2026-03', 275, '2026-03-21T09:00Z', 'current')",
            uuid.uuid4(),
            uuid.uuid4(),
            uuid.uuid4(),
        )
        assert await migrate(pool, (*PLATFORM_MIGRATIONS, *MIGRATIONS)) == [ARCHIVE]
        async with pool.acquire() as conn, conn.transaction():
            await apply_all(
                conn,
                [
                    ReadingAccepted(
                        reading_id=uuid.uuid4(),
                        chat_id=1,
                        account_number="A1",
                        meter_id="M1",
                        meter_type=MeterType.COLD_WATER,
                        value=Decimal(280),
                        previous_value=Decimal(275),
                        period="2026-04",
                        submitted_at=datetime(2026, 4, 20, 9, tzinfo=UTC),
                    )
                ],
            )
        rows = await pool.fetch("SELECT period, source, value, recorded_at FROM rm_archive ORDER BY period")
        assert [tuple(r) for r in rows] == [
            ("2026-01", "registry", Decimal("250.550"), datetime(2026, 1, 31, tzinfo=UTC)),
            ("2026-02", "reading", Decimal(260), datetime(2026, 2, 20, 9, tzinfo=UTC)),
            ("2026-03", "reading", Decimal(275), datetime(2026, 3, 21, 9, tzinfo=UTC)),
            ("2026-04", "reading", Decimal(280), datetime(2026, 4, 20, 9, tzinfo=UTC)),
        ]
    finally:
        await pool.close()
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()
