"""Consumer lag for ops: for each consumer group of this service, how many messages on each topic
it has not yet committed (end offset minus committed offset, summed over partitions)."""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaBroker

from meterbot_platform.metrics import CONSUMER_LAG

log = logging.getLogger(__name__)


def groups_of(broker: KafkaBroker) -> dict[str, set[str]]:
    """group id -> topics, from the broker's subscribers."""
    groups: dict[str, set[str]] = {}
    for subscriber in broker.subscribers:
        group = getattr(subscriber, "group_id", None)
        if group:
            groups.setdefault(group, set()).update(getattr(subscriber, "topic_names", []) or [])
    return groups


async def measure(bootstrap: str, groups: dict[str, set[str]]) -> dict[tuple[str, str], int]:
    """(group, topic) -> lag."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="meterbot-lag")
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await probe.start()
    try:
        lag: dict[tuple[str, str], int] = {}
        for group, topics in groups.items():
            partitions = [TopicPartition(t, p) for t in topics for p in (probe.partitions_for_topic(t) or ())]
            if not partitions:
                continue
            ends = await probe.end_offsets(partitions)
            committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
            for tp in partitions:
                done = committed.get(tp)
                position = done.offset if done is not None and done.offset >= 0 else 0
                lag[(group, tp.topic)] = lag.get((group, tp.topic), 0) + max(0, ends[tp] - position)
        return lag
    finally:
        await probe.stop()
        await admin.close()


async def monitor(service: str, bootstrap: str, broker: KafkaBroker, interval: float = 15.0) -> None:
    """Update meterbot_consumer_lag_messages every `interval` seconds until cancelled."""
    groups = groups_of(broker)
    while True:
        try:
            for (group, topic), value in (await measure(bootstrap, groups)).items():
                CONSUMER_LAG.labels(service, topic, group).set(value)
        except Exception as exc:
            log.debug("consumer lag not measured: %s", exc)
        await asyncio.sleep(interval)
