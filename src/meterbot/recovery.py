"""What `meterbot up` does so that the local broker, which keeps messages in memory only, loses
nothing: on a fresh (empty) broker it recreates the topic plan and has every outbox relay publish
its events again from the beginning (consumers' inboxes absorb the repeats); on stop it drains,
letting relays and consumers finish what is in flight before the broker goes."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from meterbot_contracts.topics import ALL_TOPICS
from meterbot_platform import checkpoints
from meterbot_platform.db import database_dsn
from meterbot_platform.eventstore import EventStore
from meterbot_platform.topic_plan import apply_topic_plan, topic_plan

log = logging.getLogger("meterbot.up")

SERVICE_DATABASES = ("identity", "accounts", "readings", "billing_export", "gateway")
OUTBOX_CHECKPOINTS = "outbox%"  # the relays' checkpoint names (OutboxRelay's default: "outbox")


async def _service_databases(server_dsn: str) -> list[str]:
    """The services' own databases that exist on the server and hold a checkpoints table (only
    ours: METERBOT_POSTGRES_DSN may name a server that other applications use too)."""
    conn = await asyncpg.connect(database_dsn(server_dsn, "postgres"))
    try:
        rows = await conn.fetch(
            "SELECT datname FROM pg_database WHERE datname = ANY($1::text[])", list(SERVICE_DATABASES)
        )
    finally:
        await conn.close()
    found = []
    for row in rows:
        conn = await asyncpg.connect(database_dsn(server_dsn, row["datname"]))
        try:
            if await conn.fetchval("SELECT to_regclass('checkpoints') IS NOT NULL"):
                found.append(row["datname"])
        finally:
            await conn.close()
    return sorted(found)


async def _outbox_names(conn: asyncpg.Connection) -> list[str]:
    rows = await conn.fetch("SELECT name FROM checkpoints WHERE name LIKE $1", OUTBOX_CHECKPOINTS)
    return [r["name"] for r in rows]


async def republish_everything(server_dsn: str) -> dict[str, list[str]]:
    """Move every outbox checkpoint back to the start: the relays publish all events again.
    Each reset holds the relay's own lock (checkpoints.load(lock=True)), so a relay in the middle
    of a batch cannot write its old cursor over it."""
    reset: dict[str, list[str]] = {}
    for database in await _service_databases(server_dsn):
        conn = await asyncpg.connect(database_dsn(server_dsn, database))
        try:
            async with conn.transaction():
                names = await _outbox_names(conn)
                for name in names:
                    await checkpoints.load(conn, name, lock=True)
                    await checkpoints.reset(conn, name)
        finally:
            await conn.close()
        if names:
            reset[database] = names
    return reset


async def prepare_fresh_broker(bootstrap: str, server_dsn: str, partitions: int) -> None:
    """A broker that holds nothing: the topic plan first (before any service creates a topic by
    using it, with the broker's default partition count), then republish from every outbox."""
    await apply_topic_plan(bootstrap, topic_plan(partitions, replication_factor=1))
    reset = await republish_everything(server_dsn)
    if reset:
        log.info("fresh broker: outbox relays publish again from the start in %s", ", ".join(sorted(reset)))


async def unpublished_events(server_dsn: str) -> int:
    """Events no outbox relay has published yet, over every service database."""
    total = 0
    store = EventStore()
    for database in await _service_databases(server_dsn):
        conn = await asyncpg.connect(database_dsn(server_dsn, database))
        try:
            for name in await _outbox_names(conn):
                pending, _ = await store.pending_after(conn, await checkpoints.load(conn, name))
                total += pending
        finally:
            await conn.close()
    return total


async def unconsumed_messages(bootstrap: str) -> int:
    """Messages the broker holds that a consumer group has not committed yet (all groups)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="meterbot-drain")
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await probe.start()
    try:
        await probe.topics()  # metadata of every topic
        partitions = [TopicPartition(t, p) for t in ALL_TOPICS for p in (probe.partitions_for_topic(t) or ())]
        ends = await probe.end_offsets(partitions)
        total = 0
        for group, *_ in await admin.list_consumer_groups():
            committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
            offsets = {tp: m.offset for tp, m in committed.items() if m is not None and m.offset >= 0}
            read = {tp.topic for tp in offsets}  # a group's topics: where it committed something
            total += sum(max(0, ends[tp] - offsets.get(tp, 0)) for tp in partitions if tp.topic in read)
        return total
    finally:
        await probe.stop()
        await admin.close()


async def drain(server_dsn: str, bootstrap: str, patience: float, skip: Callable[[], bool]) -> bool:
    """Wait (at most `patience` s) until no event awaits its relay and no consumer group is behind
    twice in a row. False if time ran out (the next start republishes and re-sends anyway)."""
    deadline = time.monotonic() + patience
    quiet = 0
    while time.monotonic() < deadline and not skip():
        try:
            backlog = await unpublished_events(server_dsn) + await unconsumed_messages(bootstrap)
        except Exception as exc:  # a dead broker or database: nothing to wait for
            log.warning("drain: cannot measure the backlog (%s)", exc)
            return False
        quiet = quiet + 1 if backlog == 0 else 0
        if quiet >= 2:
            return True
        await asyncio.sleep(0.3)
    log.warning("drain: still busy after %.0fs; stopping anyway", patience)
    return False
