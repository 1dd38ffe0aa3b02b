"""Kafka wiring: one FastStream broker per service (subscribers, commands), one plain aiokafka
producer for bulk sends (the outbox relay, the registry import), topics, envelope headers."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from meterbot_contracts import Envelope
from prometheus_client import REGISTRY

from meterbot_platform.eventstore import RecordedEvent
from meterbot_platform.kafka_security import broker_security, client_options
from meterbot_platform.outbox import PublishBatch
from meterbot_platform.settings import KafkaSettings

log = logging.getLogger(__name__)


class UnsafeProducerSettings(RuntimeError):
    """A producer that could lose or duplicate acknowledged messages on a broker failover."""


def require_durable(what: str, acks: object, idempotent: bool, settings: KafkaSettings) -> None:
    """Fail fast at start: acks must be all (-1), and the producer idempotent whenever
    METERBOT_KAFKA_IDEMPOTENT says it should be (real Kafka); only then can a broker that fails
    over lose nothing it acknowledged and write nothing twice."""
    problems = []
    if acks not in ("all", -1):
        problems.append(f"acks={acks!r} (needs all)")
    if settings.kafka_idempotent and not idempotent:
        problems.append("the idempotent producer is off while METERBOT_KAFKA_IDEMPOTENT=true")
    if problems:
        raise UnsafeProducerSettings(f"{what}: {'; '.join(problems)}")


def make_broker(settings: KafkaSettings, service: str, *, prometheus: bool = True) -> KafkaBroker:
    """The service's FastStream broker. `prometheus`: FastStream's Prometheus middleware on every
    subscriber and publish (faststream_received_messages_total, ..._process_duration, ...); off only
    for bench/consumer_faststream.py, which measures what it costs.

    Measured 2026-12-01 (local tansu, 50,000 envelopes, a handler that only counts, medians of 3
    rounds, load average 1.5-2): full polls of 500, on 28,800 records/s at 34 us CPU a record, off
    25,900/s at 38 us (within the noise: it runs once per poll, not per record); one record a poll,
    on 680/s at 1,170 us, off 730/s at 1,110 us (about 5 %, the poll loop costs the rest). Kept on."""
    idempotent = settings.kafka_idempotent
    broker = KafkaBroker(
        settings.kafka_bootstrap,
        client_id=settings.kafka_client_id or f"meterbot-{service}",
        enable_idempotence=idempotent,
        acks="all",
        security=broker_security(settings),
        middlewares=(KafkaPrometheusMiddleware(registry=REGISTRY, app_name=service),) if prometheus else (),
        logger=logging.getLogger(f"faststream.{service}"),
    )
    given = broker._connection_kwargs  # what its producer is built from at start
    require_durable(f"{service} broker", given.get("acks"), bool(given.get("enable_idempotence")), settings)
    return broker


async def ensure_topics(
    bootstrap: str,
    topics: Iterable[str],
    *,
    partitions: int = 6,
    replication_factor: int = 1,
    options: dict[str, Any] | None = None,
) -> list[str]:
    """Create the missing topics; return the names created now. For tests' ad-hoc topics: the
    application's topics come from meterbot_platform.topic_plan."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="meterbot-admin", **(options or {}))
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
        headers={name: value.decode() for name, value in envelope_headers(envelope)},
        correlation_id=envelope.correlation_id,
    )


def envelope_headers(envelope: Envelope) -> list[tuple[str, bytes]]:
    """What every meterbot message carries besides its body: consumers can skip a type they do not
    handle without parsing the body."""
    return [
        ("message_id", str(envelope.message_id).encode()),
        ("type", envelope.type.encode()),
        ("version", str(envelope.version).encode()),
        ("content-type", b"application/json"),
    ]


def make_producer(settings: KafkaSettings, client_id: str) -> AIOKafkaProducer:
    """A plain aiokafka producer for bulk sends: FastStream's per-message publish path (middlewares,
    metrics) costs several times the send itself, which a 100k-event burst pays in full.

    Measured 2026-12-01 (2 cores, load 10-12, local tansu broker, 20k envelopes keyed by 300 streams,
    in 1000-event batches as the outbox relay sends them): this producer via send_all 2,480-2,520
    events/s at 29-31 us CPU per event; FastStream's KafkaBroker.publish(no_confirm=True), gathered
    per batch, 700-800 events/s at 107-111 us CPU per event. The relay keeps this producer."""
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap,
        client_id=settings.kafka_client_id or client_id,
        enable_idempotence=settings.kafka_idempotent,
        acks="all",
        linger_ms=1,  # a relay's batch is queued at once; linger only delays a lone event
        max_batch_size=512 * 1024,  # under the broker default message.max.bytes (1 MiB)
        **client_options(settings),
    )
    # as aiokafka resolved them: acks as sent on the wire (-1 = all), idempotence = a txn manager
    require_durable(client_id, producer._sender._acks, producer._txn_manager is not None, settings)
    return producer


# (topic, key, envelope)
Outgoing = tuple[str, str, Envelope]


async def send_one(producer: AIOKafkaProducer, message: Outgoing) -> asyncio.Future[Any]:
    """Queue one envelope, keyed, with its headers; the future is done once the broker acknowledged it."""
    topic, key, envelope = message
    queued: asyncio.Future[Any] = await producer.send(
        topic, envelope.to_bytes(), key=key.encode(), headers=envelope_headers(envelope)
    )
    return queued


async def send_all(producer: AIOKafkaProducer, messages: Iterable[Outgoing]) -> int:
    """Queue every message (per-partition order kept), then wait until the broker acknowledged all
    of them; the first failure is raised. Returns how many were sent."""
    pending = [await send_one(producer, message) for message in messages]
    await asyncio.gather(*pending)
    return len(pending)


async def send_in_windows(
    producer: AIOKafkaProducer,
    messages: Iterable[Outgoing],
    *,
    window: int,
    acknowledged: Callable[[int], object] = lambda n: None,
) -> int:
    """send_all() `window` messages at a time: a bulk send of any size keeps at most that many
    unacknowledged; `acknowledged(n)` after each window (a progress bar). Returns how many were sent."""
    it, total = iter(messages), 0
    while chunk := list(itertools.islice(it, window)):
        total += await send_all(producer, chunk)
        acknowledged(len(chunk))
    return total


@contextlib.asynccontextmanager
async def running_producer(settings: KafkaSettings, client_id: str) -> AsyncIterator[AIOKafkaProducer]:
    """make_producer(), started; stopped on leaving (which flushes what is queued)."""
    producer = make_producer(settings, client_id)
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


def event_publisher(producer: AIOKafkaProducer, topic: str) -> PublishBatch:
    """An outbox PublishBatch: the events to `topic`, keyed by stream id (one stream, one partition)."""

    async def publish(events: Sequence[RecordedEvent]) -> None:
        await send_all(producer, ((topic, e.stream_id, e.to_envelope()) for e in events))

    return publish
