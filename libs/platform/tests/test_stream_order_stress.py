"""Ordering stress (issue 17 item 6): many writers on a few shared streams, each transaction claiming
its inbox row first (so it holds a transaction id before it reads the stream), two outbox relay
replicas and a projection reading meanwhile, on reader connections (left out of the horizon, as in
a service). Every reader must see each stream's events exactly
once and in version order.

Short by default; METERBOT_ORDER_STRESS_SECONDS=30 runs the long form."""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from uuid import uuid4

import asyncpg
import pytest
from meterbot_platform import inbox
from meterbot_platform.db import create_reader_pool
from meterbot_platform.eventstore import (
    ConcurrencyConflict,
    EventStore,
    NewEvent,
    RecordedEvent,
    StreamAppend,
)
from meterbot_platform.outbox import OutboxRelay
from meterbot_platform.projection import ProjectionRunner

pytestmark = pytest.mark.integration

SECONDS = float(os.environ.get("METERBOT_ORDER_STRESS_SECONDS", "3"))
WRITERS = 12
STREAMS = [f"shared-{i}" for i in range(3)]


class SeenInOrder:
    """A projection that records what it applies in a table: a second application of one event
    fails its primary key, the serial column keeps the order of application."""

    name = "seen"

    async def apply(self, conn: asyncpg.Connection, event: RecordedEvent) -> None:
        await conn.execute(
            "INSERT INTO seen (stream_id, stream_version) VALUES ($1, $2)",
            event.stream_id,
            event.stream_version,
        )

    async def clear(self, conn: asyncpg.Connection) -> None:
        await conn.execute("DELETE FROM seen")


def out_of_order(seen: Sequence[tuple[str, int]]) -> tuple[int, int]:
    """(inversions: a version after a higher one of its stream, repeats: a version seen again)."""
    last: dict[str, int] = defaultdict(int)
    inversions = repeats = 0
    done: set[tuple[str, int]] = set()
    for stream, version in seen:
        if (stream, version) in done:
            repeats += 1
            continue
        done.add((stream, version))
        if version < last[stream]:
            inversions += 1
        last[stream] = max(last[stream], version)
    return inversions, repeats


async def test_each_stream_comes_out_in_version_order_exactly_once(pool: asyncpg.Pool, database: str) -> None:
    await pool.execute(
        "CREATE TABLE seen (n bigserial PRIMARY KEY, stream_id text, stream_version int,"
        " UNIQUE (stream_id, stream_version))"
    )
    store = EventStore()
    published: list[tuple[str, int]] = []

    async def publish(batch: Sequence[RecordedEvent]) -> None:
        published.extend((e.stream_id, e.stream_version) for e in batch)

    reader_pool = await create_reader_pool(database, 1, 8)
    readers = [
        asyncio.create_task(OutboxRelay(reader_pool, publish, service="stress", poll_interval=0.05).run()),
        asyncio.create_task(OutboxRelay(reader_pool, publish, service="stress", poll_interval=0.05).run()),
        asyncio.create_task(
            ProjectionRunner(reader_pool, SeenInOrder(), service="stress", poll_interval=0.05).run()
        ),
    ]
    deadline = time.monotonic() + SECONDS
    committed = 0

    async def moved_on(conn: asyncpg.Connection, streams: list[str], seen: list[int]) -> None:
        """Until another writer appended to one of `streams` (at most 50 ms)."""
        for _ in range(25):
            if [await store.stream_version(conn, s) for s in streams] != seen:
                return
            await asyncio.sleep(0.002)

    async def transaction(rng: random.Random, wait_for_others: bool) -> int:
        """Inbox claim first, then load and append to one or two shared streams. The slow ones let
        another writer append in between: it gets a newer transaction id and commits first."""
        chosen = rng.sample(STREAMS, rng.choice([1, 1, 2]))
        tick = [NewEvent("Tick", 1, {}, correlation_id="c")]
        async with pool.acquire() as conn, conn.transaction():
            assert await inbox.claim(conn, "stress", uuid4())  # takes a transaction id now
            if wait_for_others:
                await moved_on(conn, chosen, [await store.stream_version(conn, s) for s in chosen])
            appends = [StreamAppend(s, tick, await store.stream_version(conn, s)) for s in chosen]
            if len(appends) == 1:
                await store.append(conn, chosen[0], tick, appends[0].expected_version)
            else:
                await store.append_many(conn, appends)
            return len(appends)

    async def writer(w: int) -> None:
        nonlocal committed
        rng = random.Random(w)
        retry = False
        while time.monotonic() < deadline:
            try:
                # every other writer is slow, but not on a retry: a fresh transaction has a newer id
                written = await transaction(rng, wait_for_others=w % 2 == 0 and not retry)
                committed += written
                retry = False
            except ConcurrencyConflict:
                retry = True

    try:
        await asyncio.gather(*(writer(w) for w in range(WRITERS)))
        for _ in range(1200):  # until every reader caught up (at most 60 s)
            if (
                len(set(published)) >= committed
                and await pool.fetchval("SELECT count(*) FROM seen") >= committed
            ):
                break
            await asyncio.sleep(0.05)
    finally:
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        await reader_pool.close()

    projected = [
        (r["stream_id"], r["stream_version"]) for r in await pool.fetch("SELECT * FROM seen ORDER BY n")
    ]
    stored = {(r["stream_id"], r["stream_version"]) for r in await pool.fetch("SELECT * FROM events")}
    report = f"{committed} events in {SECONDS:.0f}s; relay (inversions, repeats) {out_of_order(published)},"
    report += f" projection {out_of_order(projected)}"
    print(report)
    assert len(stored) == committed
    assert set(published) == stored and set(projected) == stored, report
    assert out_of_order(published) == (0, 0), report
    assert out_of_order(projected) == (0, 0), report
