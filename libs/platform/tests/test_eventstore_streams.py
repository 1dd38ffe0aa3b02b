"""The streams table: one conditional write checks the expected version for append and append_many
alike, snapshots make loads independent of a stream's length, and the migration backfills it."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest
from meterbot_platform.eventstore import (
    MIGRATIONS,
    ConcurrencyConflict,
    EventStore,
    NewEvent,
    StreamAppend,
)
from meterbot_platform.migrations import migrate

pytestmark = pytest.mark.integration
store = EventStore()


def ev(n: int) -> NewEvent:
    return NewEvent("Counted", 1, {"n": n}, correlation_id="c")


async def test_both_appends_refuse_a_version_an_empty_stream_does_not_have(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        with pytest.raises(ConcurrencyConflict) as single:
            await store.append(conn, "empty", [ev(1)], expected_version=5)
        with pytest.raises(ConcurrencyConflict) as many:
            await store.append_many(conn, [StreamAppend("empty", [ev(1)], 5)])
        assert (single.value.actual, many.value.actual) == (0, 0)
        assert await store.read_stream(conn, "empty") == []
        assert await store.stream_version(conn, "empty") == 0


async def test_a_refused_append_leaves_the_transaction_usable(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await store.append(conn, "a", [ev(1)], 0)
        async with conn.transaction():
            with pytest.raises(ConcurrencyConflict):
                await store.append(conn, "a", [ev(2)], 0)
            await store.append(conn, "a", [ev(2)], 1)
        assert [e.data["n"] for e in await store.read_stream(conn, "a")] == [1, 2]
        assert await store.stream_version(conn, "a") == 2


async def test_a_partly_stale_batch_writes_nothing(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await store.append(conn, "a", [ev(1)], 0)
        await store.append(conn, "b", [ev(1)], 0)
        with pytest.raises(ConcurrencyConflict):
            async with conn.transaction():
                await store.append_many(
                    conn,
                    [
                        StreamAppend("a", [ev(2)], 1),
                        StreamAppend("b", [ev(2)], 0),
                        StreamAppend("c", [ev(1)], 0),
                    ],
                )
        versions = {s: await store.stream_version(conn, s) for s in "abc"}
        assert versions == {"a": 1, "b": 1, "c": 0}
        assert await conn.fetchval("SELECT count(*) FROM events") == 2


async def test_an_older_transaction_may_not_append_after_a_newer_one(pool: asyncpg.Pool) -> None:
    """The per-stream order guard: readers go in transaction-id order, so version 2 written by an
    older transaction than version 1's would be read first."""
    async with pool.acquire() as early, pool.acquire() as late:
        async with early.transaction():
            await early.fetchval("SELECT pg_current_xact_id()")  # e.g. its inbox claim
            await store.append(late, "s", [ev(1)], 0)  # a newer transaction id, committed
            with pytest.raises(ConcurrencyConflict, match="newer"):
                await store.append(early, "s", [ev(2)], 1)
        async with early.transaction():  # the retry: a fresh, newer transaction id
            await store.append(early, "s", [ev(2)], 1)
        assert [e.data["n"] for e in await store.read_committed(early)] == [1, 2]


async def test_a_stream_named_twice_in_a_batch_is_appended_in_turn(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        parts = [StreamAppend("a", [ev(1)], 0), StreamAppend("b", [ev(9)], 0), StreamAppend("a", [ev(2)], 1)]
        assert await store.append_many(conn, parts) == 3
        assert [e.data["n"] for e in await store.read_stream(conn, "a")] == [1, 2]
        with pytest.raises(ConcurrencyConflict):
            await store.append_many(conn, [StreamAppend("a", [ev(3)], 2), StreamAppend("a", [ev(4)], 2)])
        assert await store.stream_version(conn, "a") == 2


async def test_load_states_gives_every_asked_stream_with_its_snapshot_and_tail(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await store.append(conn, "plain", [ev(1), ev(2)], 0)
        await store.append(conn, "snap", [ev(1), ev(2)], 0, snapshot={"total": 3}, snapshot_schema="v1")
        states = await store.load_states(conn, ["plain", "snap", "none", "snap"], schema="v1")
        assert set(states) == {"plain", "snap", "none"}
        assert (states["none"].version, states["none"].snapshot, states["none"].tail) == (0, None, [])
        plain = states["plain"]
        assert (plain.version, plain.snapshot, plain.snapshot_version) == (2, None, 0)
        assert [e.stream_version for e in plain.tail] == [1, 2]
        snap = states["snap"]
        assert (snap.version, snap.snapshot, snap.snapshot_version, snap.tail) == (2, {"total": 3}, 2, [])

        await store.append(conn, "snap", [ev(3), ev(4)], 2)  # no snapshot: the old one stays
        snap = (await store.load_states(conn, ["snap"], schema="v1"))["snap"]
        assert (snap.version, snap.snapshot, snap.snapshot_version) == (4, {"total": 3}, 2)
        assert [e.data["n"] for e in snap.tail] == [3, 4]

        rebuilt = (await store.load_states(conn, ["snap"], schema="v2"))["snap"]  # the model changed
        assert (rebuilt.version, rebuilt.snapshot, rebuilt.snapshot_version) == (4, None, 0)
        assert [e.data["n"] for e in rebuilt.tail] == [1, 2, 3, 4]


async def test_a_snapshot_alone_is_saved_at_the_current_version(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await store.append(conn, "s", [ev(1), ev(2), ev(3)], 0)
        assert await store.append(conn, "s", [], 3, snapshot={"total": 6}, snapshot_schema="v1") == []
        with pytest.raises(ConcurrencyConflict):
            await store.append(conn, "s", [], 2, snapshot={"total": 3}, snapshot_schema="v1")
        state = (await store.load_states(conn, ["s"], schema="v1"))["s"]
        assert (state.version, state.snapshot, state.snapshot_version, state.tail) == (3, {"total": 6}, 3, [])
        with pytest.raises(ValueError, match="schema"):
            await store.append(conn, "s", [ev(4)], 3, snapshot={"total": 10})


async def test_the_migration_backfills_streams_from_existing_events(database: str) -> None:
    pool = await asyncpg.create_pool(database, min_size=1, max_size=2)
    assert pool is not None
    try:
        await migrate(pool, MIGRATIONS[:1])  # the events table as it was before streams existed
        await pool.execute(
            "INSERT INTO events (stream_id, stream_version, type, schema_version, data, metadata)"
            " SELECT 'm-' || (g % 3), g / 3 + 1, 'Counted', 1, '{}', '{}' FROM generate_series(0, 7) g"
        )
        await migrate(pool, MIGRATIONS)
        async with pool.acquire() as conn:
            assert [await store.stream_version(conn, f"m-{i}") for i in range(3)] == [3, 3, 2]
            await store.append(conn, "m-2", [ev(9)], 2)  # continues where the events left off
            with pytest.raises(ConcurrencyConflict):
                await store.append(conn, "m-0", [ev(9)], 2)
    finally:
        await pool.close()


async def test_concurrent_appenders_on_one_stream_each_land_once_in_order(pool: asyncpg.Pool) -> None:
    """Load -> decide -> append with snapshots, retried on conflict: no lost or doubled update."""
    writers, rounds = 8, 10
    first_load = asyncio.Barrier(writers)  # everyone decides on version 0 once: they must collide

    async def writer(w: int) -> int:
        conflicts = 0
        for r in range(rounds):
            while True:
                try:
                    async with pool.acquire() as conn, conn.transaction():
                        state = (await store.load_states(conn, ["counter"], schema="sum"))["counter"]
                        total = _sum(state.snapshot, state.tail)
                        if r == 0 and conflicts == 0:
                            await first_load.wait()
                        await store.append(
                            conn,
                            "counter",
                            [ev(w * 100 + r)],
                            state.version,
                            snapshot={"total": total + w * 100 + r, "count": state.version + 1},
                            snapshot_schema="sum",
                        )
                    break
                except ConcurrencyConflict:
                    conflicts += 1
        return conflicts

    conflicts = await asyncio.gather(*(writer(w) for w in range(writers)))
    async with pool.acquire() as conn:
        events = await store.read_stream(conn, "counter")
        state = (await store.load_states(conn, ["counter"], schema="sum"))["counter"]
    assert [e.stream_version for e in events] == list(range(1, writers * rounds + 1))
    assert sorted(e.data["n"] for e in events) == sorted(
        w * 100 + r for w in range(writers) for r in range(rounds)
    )
    assert state.snapshot == {"total": sum(e.data["n"] for e in events), "count": writers * rounds}
    assert sum(conflicts) >= writers - 1  # the first round collided


def _sum(snapshot: dict[str, Any] | None, tail: list[Any]) -> int:
    return int((snapshot or {}).get("total", 0)) + sum(int(e.data["n"]) for e in tail)
