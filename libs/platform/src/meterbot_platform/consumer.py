"""Envelope consumers: parse, park what cannot be handled on `<topic>.dlq` with the reason, dispatch
the rest by message type. The consumer always carries on (DESIGN §2).

Both kinds consume a poll at a time and commit the offsets once per poll: committing per message
was the largest cost of a consumer during a 100k-event burst. A record whose `type`/`version`
headers name a known type this consumer does not handle is skipped without parsing its body."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import Any, TypeAlias, cast
from uuid import UUID

from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from meterbot_contracts import Envelope, Message, MessageRegistry, UnknownMessageType
from meterbot_contracts.topics import dlq_topic
from pydantic import ValidationError

from meterbot_platform.idle_fetch import pace_when_idle
from meterbot_platform.metrics import COMMANDS_HANDLED, DLQ_MESSAGES, HANDLER_DURATION
from meterbot_platform.settings import KafkaSettings

log = logging.getLogger(__name__)

# A handler returns an outcome for the metrics: "accepted", "rejected" or "duplicate".
Handler = Callable[[Envelope, Any], Awaitable[str | None]]
# A batch handler gets the parsed messages of one poll, in order, and applies them in one go
# (e.g. one transaction with an inbox claim per message). Returns the ids of those that took
# effect (the rest were duplicates).
BatchHandler = Callable[[list[tuple[Envelope, Any]]], Awaitable[Collection[UUID]]]
Record: TypeAlias = "ConsumerRecord[Any, Any]"
Place = tuple[str, int, int]  # topic, partition, offset
PollHandler = Callable[[KafkaMessage], Awaitable[None]]

# An empty poll waits this long, then FastStream sleeps as long again: the most a message that
# arrives at an idle consumer waits before it is fetched.
POLL_TIMEOUT_MS = 10


class DeadLetter(Exception):
    """Raised by a handler for a message that can never succeed: park it, carry on."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


class Unreadable(Exception):
    """A record that is not a message of the registry: parked with `reason`."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


def _place(record: Record) -> Place:
    return (record.topic, record.partition, record.offset)


def _header(record: Record, name: str) -> str | None:
    for key, value in record.headers or ():
        if key == name:
            return bytes(value).decode(errors="replace")
    return None


def _skippable(
    record: Record, wanted: Collection[tuple[str, int]], known: Collection[tuple[str, int]]
) -> bool:
    """The headers say this is a known type the consumer does not handle (a topic carries many)."""
    type_, version = _header(record, "type"), _header(record, "version")
    if type_ is None or version is None or not version.isdigit():
        return False
    key = (type_, int(version))
    return key not in wanted and key in known


def _read(record: Record, registry: MessageRegistry) -> tuple[Envelope, Message]:
    try:
        envelope = Envelope.from_bytes(record.value or b"")
    except ValidationError as exc:
        raise Unreadable("invalid_envelope", _short(exc)) from exc
    try:
        return envelope, registry.parse(envelope)
    except UnknownMessageType as exc:
        raise Unreadable("unknown_type", str(exc)) from exc
    except ValidationError as exc:
        raise Unreadable("invalid_payload", f"{envelope.type} v{envelope.version}: {_short(exc)}") from exc


def _short(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])


def _parker(
    broker: KafkaBroker, service: str, group_id: str
) -> Callable[[Record, str, str], Awaitable[None]]:
    async def park(record: Record, reason: str, detail: str) -> None:
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
        log.warning("parked a message on %s: %s %s", dlq_topic(record.topic), reason, detail[:200])

    return park


async def _undecoded(msg: KafkaMessage) -> None:
    """The handlers read the records themselves: FastStream's own decoding of a poll (a message
    object and a json.loads per record) cost a third of a consumer that skips most records."""
    return None


def _subscriber(
    broker: KafkaBroker,
    topics: list[str],
    *,
    group_id: str,
    max_records: int,
    fetch_max_wait_ms: int | None,
    title: str,
) -> Callable[[PollHandler], object]:
    subscriber = broker.subscriber(
        *topics,
        batch=True,
        max_records=max_records,
        batch_timeout_ms=POLL_TIMEOUT_MS,
        group_id=group_id,
        auto_offset_reset="earliest",
        # NACK rewinds every partition of the poll to its first record: the poll is redelivered
        ack_policy=AckPolicy.NACK_ON_ERROR,
        fetch_max_wait_ms=fetch_max_wait_ms or KafkaSettings().kafka_fetch_max_wait_ms,
        title=title,
        decoder=_undecoded,
    )
    pace_when_idle(subscriber, max_records=max_records, active_wait_ms=fetch_max_wait_ms)
    return cast(Callable[[PollHandler], object], subscriber)


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
    max_records: int = 500,
    fetch_max_wait_ms: int | None = None,
) -> None:
    """Subscribe `handlers` to `topics` with one consumer in group `group_id` (one group join,
    however many topics: joins are what makes a consumer slow to start). Each message is handled
    on its own, in order.

    Types known to the registry but without a handler here are skipped. A handler that keeps
    failing (database down, a bug) is retried in place `max_attempts` times with backoff, then
    parked with reason handler_error. A retry redelivers the whole poll; the records of it already
    handled are not handled again (and handlers dedupe by message id anyway)."""
    topic_list = [topics] if isinstance(topics, str) else list(topics)
    by_type = {(cls.TYPE, cls.VERSION): handler for cls, handler in handlers.items()}
    known = set(registry.known())
    park = _parker(broker, service, group_id)
    failures: dict[Place, int] = {}
    done: set[Place] = set()  # of a poll that failed part-way: what need not run again

    async def handle(record: Record) -> None:
        if _skippable(record, by_type, known):
            return
        try:
            envelope, message = _read(record, registry)
        except Unreadable as exc:
            await park(record, exc.reason, exc.detail)
            return
        handler = by_type.get((envelope.type, envelope.version))
        if handler is None:
            return
        place = _place(record)
        started = time.perf_counter()
        try:
            outcome = await handler(envelope, message)
        except DeadLetter as exc:
            COMMANDS_HANDLED.labels(service, envelope.type, "error").inc()
            await park(record, exc.reason, exc.detail)
            return
        except Exception as exc:
            COMMANDS_HANDLED.labels(service, envelope.type, "error").inc()
            attempt = failures[place] = failures.get(place, 0) + 1
            if attempt >= max_attempts:
                failures.pop(place, None)
                log.exception("giving up on %s after %d attempts", envelope.type, attempt)
                await park(record, "handler_error", f"{type(exc).__name__}: {exc}")
                return
            log.warning("%s failed (attempt %d), will retry: %s", envelope.type, attempt, exc)
            await asyncio.sleep(retry_delay * attempt)
            raise  # NACK: the poll is delivered again
        failures.pop(place, None)
        HANDLER_DURATION.labels(service, envelope.type).observe(time.perf_counter() - started)
        COMMANDS_HANDLED.labels(service, envelope.type, outcome or "accepted").inc()

    @_subscriber(
        broker,
        topic_list,
        group_id=group_id,
        max_records=max_records,
        fetch_max_wait_ms=fetch_max_wait_ms,
        title=f"{service}:{','.join(topic_list)}",
    )
    async def on_poll(msg: KafkaMessage) -> None:
        for record in msg.raw_message:
            place = _place(record)
            if place not in done:
                await handle(record)
                done.add(place)
        done.clear()


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
    """Like subscribe(), for high-volume topics: the handler gets a whole poll's messages at once.

    Bad records are parked one by one. A poll that keeps failing is retried `max_attempts` times,
    then its messages are handed over one at a time, so only those that fail on their own are
    parked (handler_error) and the rest take effect."""
    topic_list = [topics] if isinstance(topics, str) else list(topics)
    wanted = {(cls.TYPE, cls.VERSION) for cls in handled}
    known = set(registry.known())
    park = _parker(broker, service, group_id)
    failures: dict[Place, int] = {}

    async def one_by_one(items: list[tuple[Record, Envelope, Any]]) -> set[UUID]:
        applied: set[UUID] = set()
        for record, envelope, message in items:
            try:
                applied.update(await handler([(envelope, message)]))
            except Exception as exc:
                log.exception("giving up on %s at %s", envelope.type, _place(record))
                await park(record, "handler_error", f"{type(exc).__name__}: {exc}")
        return applied

    @_subscriber(
        broker,
        topic_list,
        group_id=group_id,
        max_records=max_records,
        fetch_max_wait_ms=fetch_max_wait_ms,
        title=f"{service}:{','.join(topic_list)}:batch",
    )
    async def on_batch(msg: KafkaMessage) -> None:
        records: tuple[Record, ...] = msg.raw_message
        items: list[tuple[Record, Envelope, Any]] = []
        for record in records:
            if _skippable(record, wanted, known):
                continue
            try:
                envelope, message = _read(record, registry)
            except Unreadable as exc:
                await park(record, exc.reason, exc.detail)
                continue
            if (envelope.type, envelope.version) in wanted:
                items.append((record, envelope, message))
        if not items:
            return
        place = _place(records[0])
        started = time.perf_counter()
        try:
            applied = set(await handler([(envelope, message) for _, envelope, message in items]))
        except Exception as exc:
            attempt = failures[place] = failures.get(place, 0) + 1
            if attempt < max_attempts:
                log.warning("a poll of %d failed (attempt %d), will retry: %s", len(items), attempt, exc)
                await asyncio.sleep(retry_delay * attempt)
                raise  # NACK: the poll is delivered again
            failures.pop(place, None)
            log.warning(
                "a poll of %d failed %d times; applying it one message at a time", len(items), attempt
            )
            applied = await one_by_one(items)
        failures.pop(place, None)
        HANDLER_DURATION.labels(service, items[0][1].type).observe(time.perf_counter() - started)
        outcomes = Counter(
            (envelope.type, "accepted" if envelope.message_id in applied else "duplicate")
            for _, envelope, _ in items
        )
        for (type_name, outcome), count in outcomes.items():
            COMMANDS_HANDLED.labels(service, type_name, outcome).inc(count)
