"""Envelope consumers: parse, park what cannot be handled on `<topic>.dlq` with the reason, dispatch
the rest by message type. The consumer always carries on (DESIGN §2).

A consumer takes a poll at a time and commits its offsets once. The poll is split by partition and
the partitions are handled concurrently (each in order); within a partition, consecutive messages
for the same batch handler go to it as one group (group commit: one transaction for all of them),
per-message handlers get one message at a time. A record whose `type`/`version` headers name a
known type this consumer does not handle is skipped without parsing its body.

Failures: an outage (failures.is_transient) pauses the group and retries it for as long as it
lasts, never parking anything. Any other failure retries the group `max_attempts` times, then its
messages are handled one at a time, so only the one at fault is parked (handler_error); a batch
handler may also hand back messages it refused on their own (BatchResult.refused), parked alone
while the rest of the group commits. One DLQ entry per message that really failed."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias, cast
from uuid import UUID

from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from meterbot_contracts import Envelope, Message, MessageRegistry, UnknownMessageType
from pydantic import ValidationError

from meterbot_platform.failures import ConsumerHealth, ConsumerProgress, through_outages
from meterbot_platform.metrics import COMMANDS_HANDLED, HANDLER_DURATION
from meterbot_platform.parking import Park, oversize_reason, parker

log = logging.getLogger(__name__)

# A handler returns an outcome for the metrics: "accepted", "rejected" or "duplicate".
Handler = Callable[[Envelope, Any], Awaitable[str | None]]
Record: TypeAlias = "ConsumerRecord[Any, Any]"
Item = tuple[Record, Envelope, Any]
PollHandler = Callable[[KafkaMessage], Awaitable[None]]

# An empty poll waits this long, then FastStream sleeps as long again: the most a message that
# arrives at an idle consumer waits before it is fetched.
POLL_TIMEOUT_MS = 10


class DeadLetter(Exception):
    """Raised by a handler for a message that can never succeed: park it, carry on."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class BatchResult:
    """What a batch handler did with a group: the messages that took effect now (the others were
    duplicates), their outcome labels (default "accepted"), and those refused on their own (parked
    alone; they took no effect and are not claimed in the inbox)."""

    applied: Collection[UUID]
    outcomes: Mapping[UUID, str] = field(default_factory=dict)
    refused: Mapping[UUID, DeadLetter] = field(default_factory=dict)


# A batch handler gets the parsed messages of one group, in order, and applies them in one go
# (one transaction with an inbox claim per message).
BatchHandler = Callable[[list[tuple[Envelope, Any]]], Awaitable[Collection[UUID] | BatchResult]]


@dataclass(frozen=True)
class ConsumerOptions:
    """Settings every consumer of a process shares, read once in the composition root."""

    fetch_max_wait_ms: int = 500
    # A record up to this size is fetched (and parked as too large): one record never blocks a
    # partition because a fetch cannot hold it.
    max_partition_fetch_bytes: int = 16 * 1024 * 1024
    fetch_max_bytes: int = 64 * 1024 * 1024
    health: ConsumerHealth = field(default_factory=ConsumerHealth)


class Unreadable(Exception):
    """A record that is not a message of the registry: parked with `reason`."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


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
    if reason := oversize_reason(record):
        raise Unreadable(reason, f"{len(record.value or b'')} bytes")
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


async def _undecoded(msg: KafkaMessage) -> None:
    """The handlers read the records themselves: FastStream's own decoding of a poll (a message
    object and a json.loads per record) cost a third of a consumer that skips most records."""
    return None


def one_message(handler: Handler) -> BatchHandler:
    """A per-message handler as a batch handler of groups of one."""

    async def handle(items: list[tuple[Envelope, Any]]) -> BatchResult:
        [(envelope, message)] = items
        try:
            outcome = await handler(envelope, message) or "accepted"
        except DeadLetter as exc:
            return BatchResult(applied=(), refused={envelope.message_id: exc})
        applied = () if outcome == "duplicate" else (envelope.message_id,)
        return BatchResult(applied=applied, outcomes={envelope.message_id: outcome})

    return handle


@dataclass
class _Groups:
    """Runs the groups of one consumer: retries, outages, parking, metrics."""

    service: str
    park: Park
    progress: ConsumerProgress
    max_attempts: int
    retry_delay: float

    async def run(self, handler: BatchHandler, items: list[Item], attempts: int) -> None:
        payload = [(envelope, message) for _, envelope, message in items]
        what = f"{self.service}: a group of {len(items)} {items[0][1].type}"
        started = time.perf_counter()
        failure: Exception | None = None
        for attempt in range(1, attempts + 1):
            try:
                result = await through_outages(lambda: handler(payload), what=what, progress=self.progress)
            except DeadLetter as exc:
                if len(items) == 1:
                    await self._refused(items[0], exc)
                    return
                failure = exc  # a batch handler should return refusals: find the one at fault
                break
            except Exception as exc:
                failure = exc
                if attempt < attempts:
                    log.warning("%s failed (attempt %d), will retry: %s", what, attempt, exc)
                    await asyncio.sleep(self.retry_delay * attempt)
                    continue
                break
            self._count(items, result, time.perf_counter() - started)
            if isinstance(result, BatchResult):
                for item in items:
                    if (refusal := result.refused.get(item[1].message_id)) is not None:
                        await self._refused(item, refusal)
            return
        if len(items) == 1:
            _, envelope, _ = items[0]
            log.error("giving up on %s after %d attempts: %r", envelope.type, attempts, failure)
            COMMANDS_HANDLED.labels(self.service, envelope.type, "error").inc()
            await self.park(items[0][0], "handler_error", f"{type(failure).__name__}: {failure}")
            return
        log.warning("%s keeps failing (%s); handling it one message at a time", what, failure)
        for item in items:
            await self.run(handler, [item], attempts=1)

    async def _refused(self, item: Item, refusal: DeadLetter) -> None:
        COMMANDS_HANDLED.labels(self.service, item[1].type, "error").inc()
        await self.park(item[0], refusal.reason, refusal.detail)

    def _count(self, items: list[Item], result: Collection[UUID] | BatchResult, took: float) -> None:
        if not isinstance(result, BatchResult):
            result = BatchResult(applied=set(result))
        applied = set(result.applied)
        outcomes: Counter[tuple[str, str]] = Counter()
        for _, envelope, _ in items:
            mid = envelope.message_id
            if mid in result.refused:
                continue
            outcome = result.outcomes.get(mid, "accepted") if mid in applied else "duplicate"
            outcomes[(envelope.type, outcome)] += 1
            HANDLER_DURATION.labels(self.service, envelope.type).observe(took / len(items))
        for (type_name, outcome), count in outcomes.items():
            COMMANDS_HANDLED.labels(self.service, type_name, outcome).inc(count)


def subscribe_groups(
    broker: KafkaBroker,
    topics: str | Sequence[str],
    *,
    service: str,
    group_id: str,
    registry: MessageRegistry,
    handlers: Mapping[type[Message], BatchHandler],
    single: Collection[type[Message]] = (),
    options: ConsumerOptions | None = None,
    max_records: int = 500,
    max_attempts: int = 5,
    retry_delay: float = 0.5,
    fetch_max_wait_ms: int | None = None,
) -> None:
    """Subscribe `handlers` to `topics` with one consumer in group `group_id` (one group join,
    however many topics). Types in `single` get one message per group; the others get each
    partition's consecutive messages of their type at once. Types known to the registry but
    without a handler here are skipped."""
    options = options or ConsumerOptions()
    topic_list = [topics] if isinstance(topics, str) else list(topics)
    by_type = {(cls.TYPE, cls.VERSION): handler for cls, handler in handlers.items()}
    one_by_one = {(cls.TYPE, cls.VERSION) for cls in single}
    known = set(registry.known())
    title = f"{service}:{','.join(topic_list)}"
    progress = options.health.register(title)
    park = parker(broker, service, group_id, progress)
    groups = _Groups(service, park, progress, max_attempts, retry_delay)

    async def partition(records: list[Record]) -> None:
        run: list[Item] = []
        run_handler: BatchHandler | None = None

        async def flush() -> None:
            if run and run_handler is not None:
                await groups.run(run_handler, list(run), max_attempts)
                run.clear()

        for record in records:
            if _skippable(record, by_type, known):
                continue
            try:
                envelope, message = _read(record, registry)
            except Unreadable as exc:
                await flush()
                await park(record, exc.reason, exc.detail)
                continue
            key = (envelope.type, envelope.version)
            handler = by_type.get(key)
            if handler is None:
                continue
            if handler is not run_handler or key in one_by_one:
                await flush()
                run_handler = handler
            run.append((record, envelope, message))
        await flush()

    subscriber = broker.subscriber(
        *topic_list,
        batch=True,
        max_records=max_records,
        batch_timeout_ms=POLL_TIMEOUT_MS,
        group_id=group_id,
        auto_offset_reset="earliest",
        # NACK rewinds every partition of the poll to its first record: the poll is redelivered
        ack_policy=AckPolicy.NACK_ON_ERROR,
        fetch_max_wait_ms=fetch_max_wait_ms or options.fetch_max_wait_ms,
        max_partition_fetch_bytes=options.max_partition_fetch_bytes,
        fetch_max_bytes=options.fetch_max_bytes,
        title=title,
        decoder=_undecoded,
    )

    @cast(Callable[[PollHandler], object], subscriber)
    async def on_poll(msg: KafkaMessage) -> None:
        by_partition: dict[tuple[str, int], list[Record]] = defaultdict(list)
        for record in msg.raw_message:
            by_partition[(record.topic, record.partition)].append(record)
        progress.busy_since = time.monotonic()
        try:
            results = await asyncio.gather(
                *(partition(records) for records in by_partition.values()), return_exceptions=True
            )
        finally:
            progress.busy_since = None
        for result in results:
            if isinstance(result, BaseException):
                raise result  # NACK: the poll is delivered again (inbox claims absorb repeats)


def subscribe(
    broker: KafkaBroker,
    topics: str | Sequence[str],
    *,
    service: str,
    group_id: str,
    registry: MessageRegistry,
    handlers: Mapping[type[Message], Handler],
    options: ConsumerOptions | None = None,
    max_attempts: int = 5,
    retry_delay: float = 0.5,
    max_records: int = 500,
    fetch_max_wait_ms: int | None = None,
) -> None:
    """subscribe_groups() for per-message handlers: each message is handled on its own, in order."""
    subscribe_groups(
        broker,
        topics,
        service=service,
        group_id=group_id,
        registry=registry,
        handlers={cls: one_message(handler) for cls, handler in handlers.items()},
        single=list(handlers),
        options=options,
        max_records=max_records,
        max_attempts=max_attempts,
        retry_delay=retry_delay,
        fetch_max_wait_ms=fetch_max_wait_ms,
    )


def subscribe_batch(
    broker: KafkaBroker,
    topics: str | Sequence[str],
    *,
    service: str,
    group_id: str,
    registry: MessageRegistry,
    handled: Sequence[type[Message]],
    handler: BatchHandler,
    options: ConsumerOptions | None = None,
    max_records: int = 500,
    max_attempts: int = 5,
    retry_delay: float = 0.5,
    fetch_max_wait_ms: int | None = None,
) -> None:
    """subscribe_groups() with one batch handler for every type in `handled`."""
    subscribe_groups(
        broker,
        topics,
        service=service,
        group_id=group_id,
        registry=registry,
        handlers=dict.fromkeys(handled, handler),
        options=options,
        max_records=max_records,
        max_attempts=max_attempts,
        retry_delay=retry_delay,
        fetch_max_wait_ms=fetch_max_wait_ms,
    )
