"""Outbox relay over real PostgreSQL and the real broker: commit order, nothing skipped or lost."""

from __future__ import annotations

import asyncio
import json
import random
from collections import defaultdict

import asyncpg
import pytest
from meterbot_platform.broker import ensure_topics, event_publisher, make_producer
from meterbot_platform.eventstore import EventStore, NewEvent
from meterbot_platform.outbox import OutboxRelay
from meterbot_platform.settings import KafkaSettings

from .kafka_io import header, read_topic

pytestmark = pytest.mark.integration

WRITERS = 16
EVENTS_PER_WRITER = 40


async def test_concurrent_appenders_nothing_skipped_nothing_lost(
    pool: asyncpg.Pool, kafka_settings: KafkaSettings, topic_suffix: str
) -> None:
    topic = f"outbox-test.{topic_suffix}"
    await ensure_topics(kafka_settings.kafka_bootstrap, [topic], partitions=3)
    producer = make_producer(kafka_settings, "outbox-test")
    await producer.start()
    relay = OutboxRelay(pool, event_publisher(producer, topic), service="outbox-test", poll_interval=0.05)
    store = EventStore()
    rng = random.Random(7)

    async def writer(w: int) -> None:
        for i in range(EVENTS_PER_WRITER):
            async with pool.acquire() as conn, conn.transaction():
                stream = f"w{w}-s{i % 3}"
                version = await store.stream_version(conn, stream)
                await store.append(
                    conn,
                    stream,
                    [NewEvent(type="Tick", version=1, data={"w": w, "i": i}, correlation_id="c")],
                    expected_version=version,
                )
                # hold the transaction open a random while, so commits land out of position order
                await asyncio.sleep(rng.random() * 0.02)

    relay_task = asyncio.create_task(relay.run())
    try:
        await asyncio.gather(*(writer(w) for w in range(WRITERS)))
        total = WRITERS * EVENTS_PER_WRITER
        records = await read_topic(kafka_settings.kafka_bootstrap, topic, expect=total, timeout=60)
    finally:
        relay_task.cancel()
        await asyncio.gather(relay_task, return_exceptions=True)
        await producer.stop()

    ids = [header(r, "message_id") for r in records]
    assert len(set(ids)) == total, f"published {len(set(ids))} distinct of {total}"
    async with pool.acquire() as conn:
        stored = {str(e.message_id) for e in await store.read_all(conn, limit=total + 1)}
    assert set(ids) == stored
    # per stream (= per key), the topic holds the events in stream order
    by_stream: dict[str, list[int]] = defaultdict(list)
    for r in records:
        payload = json.loads(r.value)["payload"]
        by_stream[r.key.decode()].append(payload["i"])
    assert all(seq == sorted(seq) for seq in by_stream.values())


async def test_relay_publishes_a_late_commit_with_a_lower_position(
    pool: asyncpg.Pool, kafka_settings: KafkaSettings, topic_suffix: str
) -> None:
    topic = f"outbox-late.{topic_suffix}"
    await ensure_topics(kafka_settings.kafka_bootstrap, [topic], partitions=1)
    producer = make_producer(kafka_settings, "outbox-test")
    await producer.start()
    relay = OutboxRelay(pool, event_publisher(producer, topic), service="outbox-test")
    store = EventStore()
    try:
        slow = await pool.acquire()
        tx = slow.transaction()
        await tx.start()
        await store.append(slow, "late", [NewEvent("E", 1, {"n": 1}, "c")], expected_version=0)
        async with pool.acquire() as conn:
            await store.append(conn, "early", [NewEvent("E", 1, {"n": 2}, "c")], expected_version=0)
        first_round = await relay.publish_pending()
        await tx.commit()
        await pool.release(slow)
        second_round = await relay.publish_pending()
        records = await read_topic(kafka_settings.kafka_bootstrap, topic, expect=2)
    finally:
        await producer.stop()
    assert first_round == 0  # "early" waits behind the open transaction instead of jumping it
    assert second_round == 2
    assert [r.key.decode() for r in records] == ["late", "early"]


async def test_an_event_held_back_by_a_transaction_without_events_goes_out_without_the_idle_poll(
    pool: asyncpg.Pool, kafka_settings: KafkaSettings, topic_suffix: str
) -> None:
    """The holder commits without events, so no NOTIFY says the event is readable now: the relay
    must try again by itself (notify.run_on_append), not wait for its fallback poll (an hour here)."""
    topic = f"outbox-held.{topic_suffix}"
    await ensure_topics(kafka_settings.kafka_bootstrap, [topic], partitions=1)
    producer = make_producer(kafka_settings, "outbox-test")
    await producer.start()
    relay = OutboxRelay(
        pool,
        event_publisher(producer, topic),
        service="outbox-test",
        poll_interval=3600,
        idle_poll_interval=3600,
    )
    store = EventStore()
    relay_task = asyncio.create_task(relay.run())
    try:
        async with pool.acquire() as holder:
            tx = holder.transaction()
            await tx.start()
            await holder.fetchval("SELECT pg_current_xact_id()")  # an xid below the event's
            async with pool.acquire() as conn:
                await store.append(conn, "held", [NewEvent("E", 1, {"n": 1}, "c")], expected_version=0)
            await tx.commit()  # no events: no NOTIFY
        records = await read_topic(kafka_settings.kafka_bootstrap, topic, expect=1, timeout=30)
    finally:
        relay_task.cancel()
        await asyncio.gather(relay_task, return_exceptions=True)
        await producer.stop()
    assert [r.key.decode() for r in records] == ["held"]
