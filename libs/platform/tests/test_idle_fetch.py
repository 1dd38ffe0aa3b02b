"""Over the real broker: an idle consumer slows its fetches down, and the first message after the
quiet spell is still handled (and speeds it up again)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from meterbot_contracts import Envelope, MessageRegistry, new_envelope
from meterbot_contracts.registry import Message
from meterbot_platform.broker import ensure_topics, make_broker, publish_envelope
from meterbot_platform.consumer import ConsumerOptions, subscribe
from meterbot_platform.settings import KafkaSettings

pytestmark = pytest.mark.integration

registry = MessageRegistry()


@registry.register
class Pinged(Message):
    TYPE = "Pinged"
    n: int


async def _until(condition: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def _fetch_wait(subscriber: Any) -> int:
    return int(subscriber.consumer._fetcher._fetch_max_wait_ms)


async def test_an_idle_consumer_fetches_slowly_and_still_takes_the_next_message(
    kafka_settings: KafkaSettings, topic_suffix: str
) -> None:
    options = ConsumerOptions(20, idle_fetch_max_wait_ms=400, idle_after_s=0.5)
    topic = f"idle-test.{topic_suffix}"
    await ensure_topics(kafka_settings.kafka_bootstrap, [topic], partitions=1)
    broker = make_broker(kafka_settings, "idle-test")
    seen: list[int] = []

    async def handle(envelope: Envelope, message: Pinged) -> str:
        seen.append(message.n)
        return "accepted"

    subscribe(
        broker,
        topic,
        service="idle-test",
        group_id=f"g-{topic_suffix}",
        registry=registry,
        handlers={Pinged: handle},
        options=options,
    )
    [subscriber] = broker.subscribers
    await broker.start()
    try:
        await _until(lambda: _fetch_wait(subscriber) == 400)
        await publish_envelope(broker, topic, new_envelope(Pinged(n=1)), key="k")
        await _until(lambda: seen == [1])
        await _until(lambda: _fetch_wait(subscriber) == 20)
    finally:
        await broker.stop()
