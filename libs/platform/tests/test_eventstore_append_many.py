"""append_many writes what EventStore.append writes, all or nothing, and refuses a stale version."""

from __future__ import annotations

import asyncpg
import pytest
from meterbot_platform.eventstore import ConcurrencyConflict, EventStore, NewEvent, StreamAppend

pytestmark = pytest.mark.integration
append_many = EventStore().append_many


def event(n: int) -> NewEvent:
    return NewEvent("Counted", 1, {"n": n}, correlation_id="c", causation_id="k")


async def test_events_of_many_streams_read_back_like_single_appends(pool: asyncpg.Pool) -> None:
    store = EventStore()
    async with pool.acquire() as conn:
        await store.append(conn, "a", [event(0)], 0)
        written = [event(1), event(2)], [event(3)]
        assert (
            await append_many(conn, [StreamAppend("a", written[0], 1), StreamAppend("b", written[1], 0)]) == 3
        )
        a, b = await store.read_stream(conn, "a"), await store.read_stream(conn, "b")
        committed = await store.read_committed(conn)
    assert [(e.stream_version, e.data["n"]) for e in a] == [(1, 0), (2, 1), (3, 2)]
    assert [(e.stream_version, e.data["n"]) for e in b] == [(1, 3)]
    assert [e.data["n"] for e in committed] == [0, 1, 2, 3]  # positions in the order given
    for recorded, new in zip([*a[1:], *b], [*written[0], *written[1]], strict=True):
        assert (recorded.message_id, recorded.correlation_id, recorded.causation_id) == (
            new.message_id,
            "c",
            "k",
        )
        assert recorded.occurred_at == new.occurred_at


async def test_a_stream_that_moved_fails_the_whole_batch(pool: asyncpg.Pool) -> None:
    store = EventStore()
    async with pool.acquire() as conn:
        await store.append(conn, "a", [event(0)], 0)
        with pytest.raises(ConcurrencyConflict):
            async with conn.transaction():
                await append_many(conn, [StreamAppend("b", [event(1)], 0), StreamAppend("a", [event(2)], 0)])
        assert await store.stream_version(conn, "b") == 0  # nothing of the batch stayed
        assert await append_many(conn, []) == 0
