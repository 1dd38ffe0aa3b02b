"""Issue 17 item 7: the cut-off of commit-order readers. A transaction left open in another database
of the same server must not stall them; one in this database must still hold them back (no skip)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import asyncpg
import pytest
from meterbot_platform.eventstore import EventStore, NewEvent, RecordedEvent
from meterbot_platform.outbox import OutboxRelay
from meterbot_testing.infra import Postgres

pytestmark = pytest.mark.integration
store = EventStore()


def ev(n: int) -> NewEvent:
    return NewEvent("Counted", 1, {"n": n}, correlation_id="c")


@asynccontextmanager
async def open_transaction(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """A transaction that holds a transaction id and stays open (an idle-in-transaction session)."""
    conn = await asyncpg.connect(dsn)
    tx = conn.transaction()
    await tx.start()
    await conn.fetchval("SELECT pg_current_xact_id()")
    try:
        yield conn
    finally:
        await tx.rollback()
        await conn.close()


async def test_a_transaction_open_in_another_database_does_not_stall_readers(
    pool: asyncpg.Pool, postgres: Postgres
) -> None:
    published: list[RecordedEvent] = []

    async def publish(batch: Sequence[RecordedEvent]) -> None:
        published.extend(batch)

    relay = OutboxRelay(pool, publish, service="horizon-test")
    async with open_transaction(postgres.dsn):  # the server's `postgres` database
        async with pool.acquire() as conn:
            await store.append(conn, "s", [ev(1)], 0)
            assert [e.data["n"] for e in await store.read_committed(conn)] == [1]
            assert await store.horizon_age(conn) == 0
        assert await relay.publish_pending() == 1
    assert [e.stream_id for e in published] == ["s"]


async def test_a_transaction_open_in_this_database_holds_readers_back_and_nothing_is_skipped(
    pool: asyncpg.Pool, database: str
) -> None:
    async with open_transaction(database) as early:
        async with pool.acquire() as conn:
            await store.append(conn, "late", [ev(2)], 0)  # a newer transaction, committed first
            assert await store.read_committed(conn) == []
            assert await store.horizon_age(conn) > 0
        await store.append(early, "early", [ev(1)], 0)
        await early.execute("COMMIT")  # the context's rollback then finds nothing to undo
        await early.execute("BEGIN")
    async with pool.acquire() as conn:
        assert [e.data["n"] for e in await store.read_committed(conn)] == [1, 2]
        assert await store.horizon_age(conn) == 0
