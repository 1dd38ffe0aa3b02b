"""Issue 19: transactions on reader connections (projections, relay checkpoints) never append events,
so they are left out of the commit-order horizon; a command transaction still holds it back (no
skip), and a reader connection cannot append."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import asyncpg
import pytest
from meterbot_platform.db import create_reader_pool
from meterbot_platform.eventstore import EventStore, NewEvent, RecordedEvent
from meterbot_platform.outbox import OutboxRelay
from meterbot_platform.projection import ProjectionRunner

pytestmark = pytest.mark.integration
store = EventStore()


def ev(n: int) -> NewEvent:
    return NewEvent("Counted", 1, {"n": n}, correlation_id="c")


@pytest.fixture
async def readers(pool: asyncpg.Pool, database: str) -> AsyncIterator[asyncpg.Pool]:
    readers = await create_reader_pool(database, 1, 5)
    try:
        yield readers
    finally:
        await readers.close()


class HeldView:
    """Writes each event to its view, then waits for `release` inside the batch's transaction."""

    name = "held"

    def __init__(self) -> None:
        self.writing, self.release = asyncio.Event(), asyncio.Event()

    async def apply(self, conn: asyncpg.Connection, event: RecordedEvent) -> None:
        await conn.execute("INSERT INTO held VALUES ($1)", event.data["n"])  # takes a transaction id
        self.writing.set()
        await self.release.wait()

    async def clear(self, conn: asyncpg.Connection) -> None:
        await conn.execute("DELETE FROM held")


async def test_a_long_projection_batch_does_not_hold_back_the_relay_but_a_command_does(
    pool: asyncpg.Pool, readers: asyncpg.Pool
) -> None:
    await pool.execute("CREATE TABLE held (n int PRIMARY KEY)")
    published: list[int] = []

    async def publish(batch: Sequence[RecordedEvent]) -> None:
        published.extend(e.data["n"] for e in batch)

    relay = OutboxRelay(readers, publish, service="reader-horizon")
    view = HeldView()
    async with pool.acquire() as conn:
        await store.append(conn, "a", [ev(1)], 0)
    projecting = asyncio.create_task(ProjectionRunner(readers, view, service="reader-horizon").catch_up())
    try:
        await asyncio.wait_for(view.writing.wait(), 10)  # the view's transaction is open, with an id
        async with pool.acquire() as conn:
            await store.append(conn, "b", [ev(2)], 0)
            assert await store.horizon_age(conn) == 0
        assert await relay.publish_pending() == 2  # not held back by the open view batch
        assert published == [1, 2]

        # a command transaction left open holds it back, and its event is not skipped
        async with pool.acquire() as command, pool.acquire() as other:
            transaction = command.transaction()
            await transaction.start()
            await store.append(command, "c", [ev(3)], 0)
            await store.append(other, "d", [ev(4)], 0)  # newer, committed first
            assert await relay.publish_pending() == 0
            assert await store.horizon_age(other) > 0
            await transaction.commit()
        assert await relay.publish_pending() == 2
        assert published == [1, 2, 3, 4]
    finally:
        view.release.set()
        await asyncio.wait_for(projecting, 10)
    assert sorted(await pool.fetch("SELECT n FROM held")) == [(1,), (2,), (3,), (4,)]


async def test_a_reader_connection_cannot_append(pool: asyncpg.Pool, readers: asyncpg.Pool) -> None:
    async with readers.acquire() as conn:
        with pytest.raises(asyncpg.ReadOnlySQLTransactionError, match="reader connection"):
            await store.append(conn, "s", [ev(1)], 0)
        with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
            await conn.execute(
                "INSERT INTO events (stream_id, stream_version, type, schema_version, data, metadata)"
                " VALUES ('s', 1, 'T', 1, '{}', '{}')"
            )
    assert await pool.fetchval("SELECT count(*) FROM events") == 0
    async with pool.acquire() as conn:  # the main pool appends as before
        assert len(await store.append(conn, "s", [ev(1)], 0)) == 1
