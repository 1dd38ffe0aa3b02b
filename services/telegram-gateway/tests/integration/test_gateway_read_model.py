"""The read model over real PostgreSQL: a poll of events applied at once (runs of registry events in
one executemany each) leaves exactly what applying them one at a time leaves."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import asyncpg
import pytest
from meterbot_contracts import Message
from meterbot_contracts.accounts import AccountLinked, AccountRegistered
from meterbot_contracts.readings import MeterClosed, MeterRegistered, MeterType
from meterbot_testing.infra import Postgres
from telegram_gateway.readmodel.projection import apply_all

from .gateway_harness import fresh_database

pytestmark = pytest.mark.integration


def meter(meter_id: str, account: str, value: str) -> MeterRegistered:
    return MeterRegistered(
        meter_id=meter_id,
        account_number=account,
        meter_type=MeterType.COLD_WATER,
        serial_number=f"SN-{meter_id}",
        verified_until=date(2031, 12, 31),
        last_value=Decimal(value),
        last_value_date=date(2026, 9, 30),
    )


# Mixed runs: a meter registered twice in a run (the later one counts), closed and registered
# again across runs, an address changed after a link copied it.
EVENTS: list[Message] = [
    AccountRegistered(account_number="100001", surname_digest="d", address="ул. Первая, 1"),
    AccountRegistered(account_number="100002", surname_digest="d", address="ул. Вторая, 2"),
    AccountLinked(chat_id=7, account_number="100001", address="ул. Первая, 1"),
    AccountRegistered(account_number="100001", surname_digest="d", address="ул. Новая, 1"),
    meter("M1", "100001", "10.5"),
    meter("M2", "100001", "20"),
    meter("M1", "100001", "11"),
    MeterClosed(meter_id="M2", account_number="100001"),
    MeterClosed(meter_id="M1", account_number="100001"),
    meter("M1", "100002", "12"),
]

SNAPSHOT = """
    SELECT (SELECT coalesce(json_agg(a ORDER BY account_number), '[]') FROM rm_accounts a)::text,
           (SELECT coalesce(json_agg(json_build_array(chat_id, account_number, address)
                                     ORDER BY chat_id, account_number), '[]') FROM rm_links)::text,
           (SELECT coalesce(json_agg(m ORDER BY meter_id), '[]') FROM rm_meters m)::text
"""


async def snapshot(pool: asyncpg.Pool) -> asyncpg.Record:
    return await pool.fetchrow(SNAPSHOT)


async def test_a_poll_applied_at_once_equals_one_event_at_a_time(postgres: Postgres) -> None:
    async with fresh_database(postgres.dsn) as at_once, fresh_database(postgres.dsn) as one_by_one:
        async with at_once.acquire() as conn, conn.transaction():
            await apply_all(conn, EVENTS)
        for event in EVENTS:
            async with one_by_one.acquire() as conn, conn.transaction():
                await apply_all(conn, [event])
        assert await snapshot(at_once) == await snapshot(one_by_one)
        rows = await at_once.fetch(
            "SELECT meter_id, account_number, last_value, closed FROM rm_meters ORDER BY 1"
        )
        assert [tuple(r) for r in rows] == [
            ("M1", "100002", Decimal("12"), False),
            ("M2", "100001", Decimal("20"), True),
        ]
        assert await at_once.fetchval("SELECT address FROM rm_links WHERE chat_id = 7") == "ул. Новая, 1"
