"""The consumer's handling of a poll through FastStream's TestKafkaBroker (no Kafka): per-message
handlers one message at a time, a batch handler one group per poll, refusals parked alone with their
reason. test_inbox_and_dlq.py proves the same over a real broker; these run in milliseconds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from faststream.kafka import KafkaBroker, KafkaMessage, TestKafkaBroker
from meterbot_contracts import Envelope, new_envelope
from meterbot_contracts.all import default_registry
from meterbot_contracts.identity import ResidentErasureRequested
from meterbot_contracts.topics import dlq_topic
from meterbot_platform.broker import make_broker
from meterbot_platform.consumer import BatchResult, DeadLetter, subscribe, subscribe_batch
from meterbot_platform.settings import KafkaSettings

pytestmark = pytest.mark.unit

TOPIC = "meterbot.test.commands"
Parked = tuple[bytes, dict[str, str]]


def erasure(chat_id: int) -> bytes:
    return new_envelope(ResidentErasureRequested(chat_id=chat_id)).to_bytes()


@pytest.fixture
def parked() -> list[Parked]:
    return []


@pytest.fixture
async def broker(parked: list[Parked]) -> AsyncIterator[KafkaBroker]:
    broker = make_broker(KafkaSettings(kafka_idempotent=False), "test")

    @broker.subscriber(dlq_topic(TOPIC), group_id="dlq-reader")
    async def keep(body: Any, message: KafkaMessage) -> None:
        parked.append((message.body, dict(message.headers)))

    yield broker


async def test_a_per_message_handler_gets_each_typed_message_in_order(
    broker: KafkaBroker, parked: list[Parked]
) -> None:
    seen: list[int] = []

    async def handle(envelope: Envelope, command: ResidentErasureRequested) -> str:
        seen.append(command.chat_id)
        if command.chat_id == 2:
            raise DeadLetter("not_allowed", "chat 2")
        return "accepted"

    subscribe(
        broker,
        TOPIC,
        service="test",
        group_id="test",
        registry=default_registry,
        handlers={ResidentErasureRequested: handle},
    )
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish_batch(erasure(1), erasure(2), erasure(3), topic=TOPIC)

    assert seen == [1, 2, 3]
    assert [(body, headers["x-dlq-reason"]) for body, headers in parked] == [(parked[0][0], "not_allowed")]
    assert b'"chat_id":2' in parked[0][0]


async def test_a_batch_handler_gets_the_poll_as_one_group_and_its_refusal_is_parked_alone(
    broker: KafkaBroker, parked: list[Parked]
) -> None:
    groups: list[list[int]] = []

    async def handle(items: list[tuple[Envelope, Any]]) -> BatchResult:
        groups.append([command.chat_id for _, command in items])
        refused = {e.message_id: DeadLetter("refused", "odd") for e, c in items if c.chat_id == 3}
        return BatchResult(
            applied=[e.message_id for e, _ in items if e.message_id not in refused], refused=refused
        )

    subscribe_batch(
        broker,
        TOPIC,
        service="test",
        group_id="test",
        registry=default_registry,
        handled=[ResidentErasureRequested],
        handler=handle,
    )
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish_batch(erasure(2), erasure(3), b"{broken", erasure(4), topic=TOPIC)

    # in the partition's order: the group before the unreadable record (its refusal parked), the
    # unreadable record parked, the group after it
    assert groups == [[2, 3], [4]]
    assert [headers["x-dlq-reason"] for _, headers in parked] == ["refused", "invalid_envelope"]
