"""Kafka wiring through FastStream: one broker per service, topics, publishing envelopes."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from meterbot_contracts import Envelope
from prometheus_client import REGISTRY

from meterbot_platform.eventstore import RecordedEvent
from meterbot_platform.settings import KafkaSettings

log = logging.getLogger(__name__)


def make_broker(settings: KafkaSettings, service: str) -> KafkaBroker:
    idempotent = settings.kafka_idempotent
    return KafkaBroker(
        settings.kafka_bootstrap,
        client_id=settings.kafka_client_id or f"meterbot-{service}",
        enable_idempotence=idempotent,
        acks="all",
        middlewares=(KafkaPrometheusMiddleware(registry=REGISTRY, app_name=service),),
        logger=logging.getLogger(f"faststream.{service}"),
    )


async def ensure_topics(
    bootstrap: str, topics: Iterable[str], *, partitions: int = 6, replication_factor: int = 1
) -> list[str]:
    """Create the missing topics; return the names created now."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="meterbot-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in dict.fromkeys(topics) if t not in existing]
        if missing:
            try:
                await admin.create_topics([NewTopic(t, partitions, replication_factor) for t in missing])
            except TopicAlreadyExistsError:
                pass  # a concurrent starter created them
        return missing
    finally:
        await admin.close()


async def publish_envelope(broker: KafkaBroker, topic: str, envelope: Envelope, key: str | int) -> None:
    await broker.publish(
        envelope.to_bytes(),
        topic,
        key=str(key).encode(),
        headers=_headers(envelope),
        correlation_id=envelope.correlation_id,
    )


def _headers(envelope: Envelope) -> dict[str, str]:
    return {
        "message_id": str(envelope.message_id),
        "type": envelope.type,
        "version": str(envelope.version),
        "content-type": "application/json",
    }


def event_publisher(broker: KafkaBroker, topic: str):  # type: ignore[no-untyped-def]
    """An outbox PublishBatch that sends events keyed by stream id and waits for every ack."""

    async def publish(events: Sequence[RecordedEvent]) -> None:
        pending = []
        for event in events:
            envelope = event.to_envelope()
            # no_confirm: queue them all (per-partition order kept), then await the acks together.
            pending.append(
                await broker.publish(
                    envelope.to_bytes(),
                    topic,
                    key=event.stream_id.encode(),
                    headers=_headers(envelope),
                    correlation_id=envelope.correlation_id,
                    no_confirm=True,
                )
            )
        for future in pending:
            await future

    return publish
