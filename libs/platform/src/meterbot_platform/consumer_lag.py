"""Consumer lag for ops: for each consumer group of this service, how many messages on each topic
it has not yet committed (end offset minus committed offset, summed over partitions)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaBroker

from meterbot_platform.kafka_security import client_options
from meterbot_platform.metrics import CONSUMER_LAG
from meterbot_platform.settings import KafkaSettings

log = logging.getLogger(__name__)


def groups_of(broker: KafkaBroker) -> dict[str, set[str]]:
    """group id -> topics, from the broker's subscribers."""
    groups: dict[str, set[str]] = {}
    for subscriber in broker.subscribers:
        group = getattr(subscriber, "group_id", None)
        if group:
            groups.setdefault(group, set()).update(getattr(subscriber, "topic_names", []) or [])
    return groups


class LagProbe:
    """An admin client (committed offsets) and a consumer without a group (end offsets), started
    together: if either fails to start, both are closed, so a broker that is down leaks nothing."""

    def __init__(self, kafka: KafkaSettings | str) -> None:
        if isinstance(kafka, str):  # a bare bootstrap address: plaintext (tests, bench)
            kafka = KafkaSettings(kafka_bootstrap=kafka)
        options = client_options(kafka)
        self.admin = AIOKafkaAdminClient(
            bootstrap_servers=kafka.kafka_bootstrap, client_id="meterbot-lag", **options
        )
        self.probe = AIOKafkaConsumer(
            bootstrap_servers=kafka.kafka_bootstrap, enable_auto_commit=False, **options
        )

    async def __aenter__(self) -> LagProbe:
        try:
            await self.admin.start()
            await self.probe.start()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def close(self) -> None:
        try:
            await self.probe.stop()
        finally:
            await self.admin.close()

    async def measure(self, groups: dict[str, set[str]]) -> dict[tuple[str, str], int]:
        """(group, topic) -> lag."""
        lag: dict[tuple[str, str], int] = {}
        for group, topics in groups.items():
            partitions = [
                TopicPartition(t, p) for t in topics for p in (self.probe.partitions_for_topic(t) or ())
            ]
            if not partitions:
                continue
            ends = await self.probe.end_offsets(partitions)
            committed = await self.admin.list_consumer_group_offsets(group, partitions=partitions)
            for tp in partitions:
                done = committed.get(tp)
                position = done.offset if done is not None and done.offset >= 0 else 0
                lag[(group, tp.topic)] = lag.get((group, tp.topic), 0) + max(0, ends[tp] - position)
        return lag


async def measure(kafka: KafkaSettings | str, groups: dict[str, set[str]]) -> dict[tuple[str, str], int]:
    """(group, topic) -> lag, with clients of its own."""
    async with LagProbe(kafka) as probe:
        return await probe.measure(groups)


async def monitor(service: str, kafka: KafkaSettings, broker: KafkaBroker, interval: float = 15.0) -> None:
    """Update meterbot_consumer_lag_messages every `interval` seconds until cancelled. One probe is
    kept between measurements (building two clients every time cost more than the measurement); a
    failed measurement closes it, and the next one starts afresh."""
    groups = groups_of(broker)
    probe: LagProbe | None = None
    try:
        while True:
            try:
                if probe is None:
                    probe = await LagProbe(kafka).__aenter__()
                for (group, topic), value in (await probe.measure(groups)).items():
                    CONSUMER_LAG.labels(service, topic, group).set(value)
            except Exception as exc:
                log.debug("consumer lag not measured: %s", exc)
                if probe is not None:
                    with contextlib.suppress(Exception):
                        await probe.close()
                    probe = None
            await asyncio.sleep(interval)
    finally:
        if probe is not None:
            with contextlib.suppress(Exception):
                await probe.close()
