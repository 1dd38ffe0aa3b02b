"""Projection helper over real PostgreSQL: view and checkpoint move together; rebuild from zero."""

from __future__ import annotations

import asyncpg
import pytest
from meterbot_platform import checkpoints
from meterbot_platform.eventstore import EventStore, NewEvent, RecordedEvent
from meterbot_platform.migrations import Migration, migrate
from meterbot_platform.projection import ProjectionRunner

pytestmark = pytest.mark.integration


class Totals:
    """Sum of `amount` per stream."""

    name = "totals"

    async def apply(self, conn: asyncpg.Connection, event: RecordedEvent) -> None:
        if event.type == "Added":
            await conn.execute(
                "INSERT INTO totals VALUES ($1, $2) ON CONFLICT (stream) DO UPDATE"
                " SET total = totals.total + excluded.total",
                event.stream_id,
                event.data["amount"],
            )
        if event.type == "Poison":
            raise RuntimeError("cannot apply")

    async def clear(self, conn: asyncpg.Connection) -> None:
        await conn.execute("TRUNCATE totals")


@pytest.fixture
async def totals(pool: asyncpg.Pool) -> asyncpg.Pool:
    await migrate(
        pool, [Migration("test/totals", "CREATE TABLE totals (stream text PRIMARY KEY, total int)")]
    )
    return pool


async def _append(pool: asyncpg.Pool, stream: str, *amounts: int, type_: str = "Added") -> None:
    store = EventStore()
    async with pool.acquire() as conn:
        version = await store.stream_version(conn, stream)
        await store.append(conn, stream, [NewEvent(type_, 1, {"amount": a}, "c") for a in amounts], version)


async def _view(pool: asyncpg.Pool) -> dict[str, int]:
    return {r["stream"]: r["total"] for r in await pool.fetch("SELECT * FROM totals")}


async def test_catch_up_applies_each_event_once(totals: asyncpg.Pool) -> None:
    runner = ProjectionRunner(totals, Totals(), service="test")
    await _append(totals, "a", 1, 2)
    await _append(totals, "b", 10)
    assert await runner.catch_up() == 3
    assert await runner.catch_up() == 0
    await _append(totals, "a", 3)
    assert await runner.catch_up() == 1
    assert await _view(totals) == {"a": 6, "b": 10}


async def test_a_failing_event_rolls_back_view_and_checkpoint_together(totals: asyncpg.Pool) -> None:
    runner = ProjectionRunner(totals, Totals(), service="test")
    await _append(totals, "a", 1)
    await runner.catch_up()
    await _append(totals, "a", 5)
    await _append(totals, "p", 0, type_="Poison")
    with pytest.raises(RuntimeError):
        await runner.catch_up()
    assert await _view(totals) == {"a": 1}  # the batch with the poison left no trace
    async with totals.acquire() as conn:
        cursor = await checkpoints.load(conn, "projection:totals")
    assert cursor.position == 1


async def test_rebuild_from_zero_gives_the_same_view(totals: asyncpg.Pool) -> None:
    runner = ProjectionRunner(totals, Totals(), service="test")
    for i in range(20):
        await _append(totals, f"s{i % 4}", i)
    await runner.catch_up()
    before = await _view(totals)
    await totals.execute("UPDATE totals SET total = -1")  # a corrupted view
    assert await runner.rebuild() == 20
    assert await _view(totals) == before
