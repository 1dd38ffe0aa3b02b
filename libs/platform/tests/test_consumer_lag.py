"""Consumer lag over the real broker: what a group has not yet committed."""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaConsumer
from faststream.kafka import KafkaBroker
from meterbot_platform.broker import ensure_topics
from meterbot_platform.consumer_lag import LagProbe, groups_of, measure
from meterbot_platform.settings import KafkaSettings

pytestmark = pytest.mark.integration


async def test_lag_counts_messages_not_yet_committed_by_the_group(
    kafka_settings: KafkaSettings, topic_suffix: str
) -> None:
    topic = f"lag-test.{topic_suffix}"
    group = f"lag-{topic_suffix}"
    bootstrap = kafka_settings.kafka_bootstrap
    await ensure_topics(bootstrap, [topic], partitions=2)
    broker = KafkaBroker(bootstrap)
    await broker.connect()
    for i in range(10):
        await broker.publish(b"x", topic, key=str(i).encode())
    await broker.stop()

    assert await measure(kafka_settings, {group: {topic}}) == {(group, topic): 10}

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        seen = 0
        while seen < 4:
            batch = await consumer.getmany(timeout_ms=500, max_records=4 - seen)
            seen += sum(len(v) for v in batch.values())
        await consumer.commit()
    finally:
        await consumer.stop()
    assert await measure(kafka_settings, {group: {topic}}) == {(group, topic): 6}


def test_groups_come_from_the_broker_subscribers() -> None:
    broker = KafkaBroker("unused:9092")

    @broker.subscriber("a", "b", group_id="g1")
    async def handle(body: bytes) -> None: ...

    assert groups_of(broker) == {"g1": {"a", "b"}}


async def test_a_probe_that_fails_to_start_closes_what_it_opened(
    kafka_settings: KafkaSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The admin client connects to the real broker; the consumer's start fails after it.
    async def refuse(self: AIOKafkaConsumer) -> None:
        raise ConnectionError("injected: consumer cannot start")

    monkeypatch.setattr(AIOKafkaConsumer, "start", refuse)
    probe = LagProbe(kafka_settings)
    with pytest.raises(ConnectionError):
        await measure_with(probe)
    assert probe.admin._started and probe.admin._closed, "the started admin client must be closed"


async def measure_with(probe: LagProbe) -> None:
    async with probe:
        await probe.measure({})
