"""A service's FastStream subscribers in memory: its real wiring (ServiceSpec.wire) on a broker from
make_broker, under FastStream's TestKafkaBroker. No Kafka and no PostgreSQL, so for unit tests of
what a subscriber does before a handler opens a transaction: the topics and groups it consumes,
what it parks on `<topic>.dlq` (and with which headers), what it skips. That a message is handled
over Kafka is proved by the integration tests (STYLE 9); this is the fast check of the wiring."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator, Mapping
from typing import Any, cast

import asyncpg
from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker, KafkaMessage, TestKafkaBroker
from faststream.kafka.subscriber.usecase import LogicSubscriber
from meterbot_contracts import Envelope, Message, new_envelope
from meterbot_contracts.identity import ResidentErasureRequested
from meterbot_contracts.topics import dlq_topic
from meterbot_platform.broker import envelope_headers, make_broker
from meterbot_platform.runtime import Runtime, ServiceSpec
from meterbot_platform.settings import KafkaSettings

__all__ = ["InMemoryService", "Parked", "check_subscribers", "wired_in_memory"]


@dataclasses.dataclass(frozen=True)
class Parked:
    topic: str  # the dlq topic
    body: bytes | None
    headers: Mapping[str, str]


@dataclasses.dataclass
class InMemoryService:
    broker: KafkaBroker  # patched by TestKafkaBroker: publishing calls the subscribers at once
    groups: dict[str, str]  # topic -> the consumer group that reads it
    parked: list[Parked]

    async def publish_raw(self, topic: str, body: bytes, headers: Mapping[str, str] | None = None) -> None:
        await self.broker.publish(body, topic, key=b"k", headers=dict(headers or {}))

    async def publish(self, topic: str, envelope: Envelope) -> None:
        """As the platform's producers send it: the envelope's bytes and headers."""
        headers = {name: value.decode() for name, value in envelope_headers(envelope)}
        await self.publish_raw(topic, envelope.to_bytes(), headers)


@contextlib.asynccontextmanager
async def wired_in_memory(spec: ServiceSpec) -> AsyncIterator[InMemoryService]:
    """`spec` wired without a database (the pool and the bulk producer are absent: a handler that
    reaches for them fails, so tests publish only what the subscribers settle themselves)."""
    assert spec.wire is not None
    broker = make_broker(KafkaSettings(kafka_idempotent=False), spec.name)
    runtime = Runtime(
        spec.name,
        pool=cast(asyncpg.Pool, None),
        broker=broker,
        producer=cast(AIOKafkaProducer, None),
        http_host="127.0.0.1",  # nothing listens in memory; a loopback service needs no API token
    )
    await spec.wire(runtime)
    subscribers = [cast(LogicSubscriber[Any], s) for s in broker.subscribers]
    groups = {topic.name: str(s.group_id) for s in subscribers for topic in s.topics}
    parked: list[Parked] = []

    async def keep(body: Any, message: KafkaMessage) -> None:
        raw = message.raw_message
        parked.append(Parked(str(getattr(raw, "topic", "")), message.body or None, dict(message.headers)))

    for topic in groups:
        broker.subscriber(dlq_topic(topic), group_id=f"{spec.name}.dlq-test")(keep)
    async with TestKafkaBroker(broker) as test_broker:
        yield InMemoryService(test_broker, groups, parked)


async def check_subscribers(spec: ServiceSpec, groups: Mapping[str, str], not_handled: type[Message]) -> None:
    """The service consumes exactly `groups` (topic -> consumer group); on every one of those topics
    it parks what it cannot read (not an envelope, a type no contract has, a payload its contract
    refuses) with the reason and its group, and skips by its headers alone a known type it does not
    handle (`not_handled`: its body is not even parsed)."""
    async with wired_in_memory(spec) as service:
        assert service.groups == dict(groups)
        unreadable = {
            "invalid_envelope": b"not json",
            "unknown_type": _envelope_bytes("NoSuchMessage", {}),
            "invalid_payload": _envelope_bytes(not_handled.TYPE, {"unexpected": True}),
        }
        for topic, group in groups.items():
            service.parked.clear()
            for body in unreadable.values():
                await service.publish_raw(topic, body)
            skipped = {"type": not_handled.TYPE, "version": str(not_handled.VERSION)}
            await service.publish_raw(topic, b"not json either", skipped)
            reasons = [
                (p.topic, p.headers["x-dlq-reason"], p.headers["x-consumer-group"]) for p in service.parked
            ]
            assert reasons == [(dlq_topic(topic), reason, group) for reason in unreadable], topic
            assert [p.body for p in service.parked] == list(unreadable.values())


def _envelope_bytes(type_name: str, payload: dict[str, Any]) -> bytes:
    envelope = new_envelope(ResidentErasureRequested(chat_id=1)).model_dump(mode="json")
    return json.dumps({**envelope, "type": type_name, "payload": payload}).encode()
