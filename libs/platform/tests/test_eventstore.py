"""Event store over real PostgreSQL: append, read, optimistic concurrency."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from meterbot_platform.eventstore import ConcurrencyConflict, EventStore, NewEvent

pytestmark = pytest.mark.integration


def ev(n: int, stream: str = "s") -> NewEvent:
    return NewEvent(type="Thing", version=1, data={"n": n, "stream": stream}, correlation_id="c")


async def test_append_then_read_stream_in_order(pool: asyncpg.Pool) -> None:
    store = EventStore()
    async with pool.acquire() as conn:
        recorded = await store.append(conn, "meter-1", [ev(1), ev(2), ev(3)], expected_version=0)
        events = await store.read_stream(conn, "meter-1")
    assert [e.stream_version for e in recorded] == [1, 2, 3]
    assert [e.data["n"] for e in events] == [1, 2, 3]
    assert events[0].message_id != events[1].message_id
    assert events[0].to_envelope().payload == {"n": 1, "stream": "s"}


async def test_append_with_stale_expected_version_is_a_conflict(pool: asyncpg.Pool) -> None:
    store = EventStore()
    async with pool.acquire() as conn:
        await store.append(conn, "a", [ev(1)], expected_version=0)
        with pytest.raises(ConcurrencyConflict) as err:
            await store.append(conn, "a", [ev(2)], expected_version=0)
        assert err.value.actual == 1
        assert [e.data["n"] for e in await store.read_stream(conn, "a")] == [1]


async def test_concurrent_writers_to_one_stream_exactly_one_wins(pool: asyncpg.Pool) -> None:
    store = EventStore()
    writers = 8
    all_read = asyncio.Barrier(writers)

    async def writer(n: int) -> bool:
        async with pool.acquire() as conn, conn.transaction():
            version = await store.stream_version(conn, "contended")
            await all_read.wait()  # everyone has read version 0 before anyone appends
            try:
                await store.append(conn, "contended", [ev(n)], expected_version=version)
                return True
            except ConcurrencyConflict:
                return False

    results = await asyncio.gather(*(writer(n) for n in range(writers)))
    assert results.count(True) == 1
    async with pool.acquire() as conn:
        assert len(await store.read_stream(conn, "contended")) == 1


async def test_a_batch_is_atomic(pool: asyncpg.Pool) -> None:
    store = EventStore()
    async with pool.acquire() as conn:
        with pytest.raises(RuntimeError):
            async with conn.transaction():
                await store.append(conn, "b", [ev(1), ev(2)], expected_version=0)
                raise RuntimeError("the handler failed after appending")
        assert await store.read_stream(conn, "b") == []


async def test_read_committed_waits_for_an_earlier_transaction(pool: asyncpg.Pool) -> None:
    """A transaction that wrote first but commits last must not be passed over by readers."""
    store = EventStore()
    slow = await pool.acquire()
    tx = slow.transaction()
    await tx.start()
    await store.append(slow, "slow", [ev(1, "slow")], expected_version=0)  # lower position
    async with pool.acquire() as conn:
        await store.append(conn, "fast", [ev(2, "fast")], expected_version=0)  # commits first
        assert await store.read_committed(conn) == []  # held back behind the open transaction
    await tx.commit()
    await pool.release(slow)
    async with pool.acquire() as conn:
        seen = [e.stream_id for e in await store.read_committed(conn)]
    assert seen == ["slow", "fast"]
