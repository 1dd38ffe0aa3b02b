"""Envelope consumers: parse, park what cannot be handled on `<topic>.dlq` with the reason, dispatch
the rest by message type. The consumer always carries on (DESIGN §2)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from meterbot_contracts import Envelope, Message, MessageRegistry, UnknownMessageType
from meterbot_contracts.topics import dlq_topic
from pydantic import ValidationError

from meterbot_platform.metrics import COMMANDS_HANDLED, DLQ_MESSAGES, HANDLER_DURATION
from meterbot_platform.settings import KafkaSettings

log = logging.getLogger(__name__)

# A handler returns an outcome for the metrics: "accepted", "rejected" or "duplicate".
Handler = Callable[[Envelope, Any], Awaitable[str | None]]


class DeadLetter(Exception):
    """Raised by a handler for a message that can never succeed: park it, carry on."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


def subscribe(
    broker: KafkaBroker,
    topics: str | Sequence[str],
    *,
    service: str,
    group_id: str,
    registry: MessageRegistry,
    handlers: Mapping[type[Message], Handler],
    max_attempts: int = 5,
    retry_delay: float = 0.5,
    fetch_max_wait_ms: int | None = None,
) -> None:
    """Subscribe `handlers` to `topics` with one consumer in group `group_id` (one group join,
    however many topics: joins are what makes a consumer slow to start).

    Types known to the registry but without a handler here are skipped (a topic carries many).
    A handler that keeps failing (database down, a bug) is retried in place `max_attempts`
    times with backoff, then parked with reason handler_error."""
    topic_list = [topics] if isinstance(topics, str) else list(topics)
    by_type = {(cls.TYPE, cls.VERSION): handler for cls, handler in handlers.items()}
    failures: dict[tuple[str, int, int], int] = {}

    async def park(msg: KafkaMessage, reason: str, detail: str) -> None:
        raw = msg.raw_message
        topic = getattr(raw, "topic", topic_list[0])
        headers = {
            "x-dlq-reason": reason,
            "x-dlq-detail": detail[:1000],
            "x-original-topic": topic,
            "x-original-partition": str(getattr(raw, "partition", "")),
            "x-original-offset": str(getattr(raw, "offset", "")),
            "x-consumer-group": group_id,
        }
        await broker.publish(msg.body, dlq_topic(topic), key=getattr(raw, "key", None), headers=headers)
        DLQ_MESSAGES.labels(service, topic, reason).inc()
        log.warning("parked message on %s: %s %s", dlq_topic(topic), reason, detail[:200])

    @broker.subscriber(
        *topic_list,
        group_id=group_id,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        fetch_max_wait_ms=fetch_max_wait_ms or KafkaSettings().kafka_fetch_max_wait_ms,
        title=f"{service}:{','.join(topic_list)}",
    )
    async def on_message(msg: KafkaMessage) -> None:
        try:
            envelope = Envelope.from_bytes(msg.body)
        except ValidationError as exc:
            await park(msg, "invalid_envelope", _short(exc))
            return
        try:
            message = registry.parse(envelope)
        except UnknownMessageType as exc:
            await park(msg, "unknown_type", str(exc))
            return
        except ValidationError as exc:
            await park(msg, "invalid_payload", f"{envelope.type} v{envelope.version}: {_short(exc)}")
            return
        handler = by_type.get((envelope.type, envelope.version))
        if handler is None:
            return
        await _handle(msg, envelope, message, handler)

    async def _handle(msg: KafkaMessage, envelope: Envelope, message: Message, handler: Handler) -> None:
        raw = msg.raw_message
        place = (getattr(raw, "topic", ""), getattr(raw, "partition", 0), getattr(raw, "offset", 0))
        started = time.perf_counter()
        try:
            outcome = await handler(envelope, message)
        except DeadLetter as exc:
            COMMANDS_HANDLED.labels(service, envelope.type, "error").inc()
            await park(msg, exc.reason, exc.detail)
            return
        except Exception as exc:
            COMMANDS_HANDLED.labels(service, envelope.type, "error").inc()
            attempt = failures[place] = failures.get(place, 0) + 1
            if attempt >= max_attempts:
                failures.pop(place, None)
                log.exception("giving up on %s after %d attempts", envelope.type, attempt)
                await park(msg, "handler_error", f"{type(exc).__name__}: {exc}")
                return
            log.warning("%s failed (attempt %d), will retry: %s", envelope.type, attempt, exc)
            await asyncio.sleep(retry_delay * attempt)
            raise  # NACK: the same message is delivered again
        failures.pop(place, None)
        HANDLER_DURATION.labels(service, envelope.type).observe(time.perf_counter() - started)
        COMMANDS_HANDLED.labels(service, envelope.type, outcome or "accepted").inc()


def _short(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])


# A batch handler gets the parsed messages of one poll, in order, and applies them in one go
# (e.g. one transaction with an inbox claim per message). Returns how many had an effect.
BatchHandler = Callable[[list[tuple[Envelope, Any]]], Awaitable[int]]


def subscribe_batch(
    broker: KafkaBroker,
    topics: str | Sequence[str],
    *,
    service: str,
    group_id: str,
    registry: MessageRegistry,
    handled: Sequence[type[Message]],
    handler: BatchHandler,
    max_records: int = 500,
    max_attempts: int = 5,
    retry_delay: float = 0.5,
    fetch_max_wait_ms: int | None = None,
) -> None:
    """Like subscribe(), for high-volume topics (the billing registry): one call per poll.

    Bad records are parked one by one; a batch that keeps failing is parked whole, with reason
    handler_error, so the consumer carries on."""
    topic_list = [topics] if isinstance(topics, str) else list(topics)
    wanted = {(cls.TYPE, cls.VERSION) for cls in handled}
    failures: dict[tuple[str, int, int], int] = {}

    async def park(record: Any, reason: str, detail: str) -> None:
        headers = {
            "x-dlq-reason": reason,
            "x-dlq-detail": detail[:1000],
            "x-original-topic": record.topic,
            "x-original-partition": str(record.partition),
            "x-original-offset": str(record.offset),
            "x-consumer-group": group_id,
        }
        await broker.publish(record.value, dlq_topic(record.topic), key=record.key, headers=headers)
        DLQ_MESSAGES.labels(service, record.topic, reason).inc()

    @broker.subscriber(
        *topic_list,
        batch=True,
        max_records=max_records,
        group_id=group_id,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        fetch_max_wait_ms=fetch_max_wait_ms or KafkaSettings().kafka_fetch_max_wait_ms,
        title=f"{service}:{','.join(topic_list)}:batch",
    )
    async def on_batch(msg: KafkaMessage) -> None:
        records = list(msg.raw_message)
        items: list[tuple[Envelope, Any]] = []
        for record in records:
            try:
                envelope = Envelope.from_bytes(record.value or b"")
                message = registry.parse(envelope)
            except UnknownMessageType as exc:
                await park(record, "unknown_type", str(exc))
                continue
            except ValidationError as exc:
                await park(record, "invalid_message", _short(exc))
                continue
            if (envelope.type, envelope.version) in wanted:
                items.append((envelope, message))
        if not items:
            return
        first = records[0]
        place = (first.topic, first.partition, first.offset)
        started = time.perf_counter()
        try:
            applied = await handler(items)
        except Exception as exc:
            attempt = failures[place] = failures.get(place, 0) + 1
            if attempt >= max_attempts:
                failures.pop(place, None)
                log.exception("giving up on a batch of %d after %d attempts", len(records), attempt)
                for record in records:
                    await park(record, "handler_error", f"{type(exc).__name__}: {exc}")
                return
            log.warning("batch failed (attempt %d), will retry: %s", attempt, exc)
            await asyncio.sleep(retry_delay * attempt)
            raise
        failures.pop(place, None)
        type_name = items[0][0].type
        HANDLER_DURATION.labels(service, type_name).observe(time.perf_counter() - started)
        COMMANDS_HANDLED.labels(service, type_name, "accepted").inc(applied)
        COMMANDS_HANDLED.labels(service, type_name, "duplicate").inc(len(items) - applied)
