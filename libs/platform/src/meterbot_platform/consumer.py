"""Envelope consumers: parse, park what cannot be handled on `<topic>.dlq` with the reason, dispatch
the rest by message type. The consumer always carries on (DESIGN §2).

A consumer takes a poll at a time and commits its offsets once (polls.py: how a poll is split into
groups, run, retried and parked). A record whose `type`/`version` headers name a known type this
consumer does not handle is skipped without parsing its body."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict, Unpack, cast

from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from meterbot_contracts import Envelope, Message, MessageRegistry

from meterbot_platform.failures import ConsumerHealth
from meterbot_platform.idle_fetch import pace_when_idle
from meterbot_platform.parking import parker
from meterbot_platform.polls import BatchHandler, BatchResult, DeadLetter, GroupRunner, PollPlan

__all__ = [
    "BULK",
    "BatchHandler",
    "BatchResult",
    "ConsumerOptions",
    "DeadLetter",
    "Handler",
    "Polling",
    "Tuning",
    "one_message",
    "subscribe",
    "subscribe_batch",
    "subscribe_groups",
]

log = logging.getLogger(__name__)

# A handler returns an outcome for the metrics: "accepted", "rejected" or "duplicate".
Handler = Callable[[Envelope, Any], Awaitable[str | None]]
PollHandler = Callable[[KafkaMessage], Awaitable[None]]

# An empty poll waits this long, then FastStream sleeps as long again: the most a message that
# arrives at an idle consumer waits before it is fetched.
POLL_TIMEOUT_MS = 10


@dataclass(frozen=True)
class ConsumerOptions:
    """Settings every consumer of a process shares, read once in the composition root."""

    fetch_max_wait_ms: int = 500
    # After idle_after_s without records a consumer fetches with idle_fetch_max_wait_ms (idle_fetch.py)
    idle_fetch_max_wait_ms: int = 500
    idle_after_s: float = 30.0
    # A record up to this size is fetched (and parked as too large): one record never blocks a
    # partition because a fetch cannot hold it.
    max_partition_fetch_bytes: int = 16 * 1024 * 1024
    fetch_max_bytes: int = 64 * 1024 * 1024
    health: ConsumerHealth = field(default_factory=ConsumerHealth)


async def _undecoded(msg: KafkaMessage) -> None:
    """The handlers read the records themselves: FastStream's own decoding of a poll (a message
    object and a json.loads per record) is paid again on top of ours.

    Measured 2026-12-01 with bench/consumer_faststream.py (local tansu, 50,000 envelopes on 6
    partitions, a handler that only counts, medians of 3 rounds, load average 1.5-2): full polls of
    500, bypassed 28,800 records/s at 34 us CPU a record, FastStream decoding 15,000 records/s at
    66 us; one record a poll, 680/s at 1,170 us against 615/s at 1,330 us. So the bypass stays."""
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
    title = f"{service}:{','.join(topic_list)}"
    progress = options.health.register(title)
    poll = PollPlan(
        registry,
        by_type={(cls.TYPE, cls.VERSION): handler for cls, handler in handlers.items()},
        one_by_one={(cls.TYPE, cls.VERSION) for cls in single},
        known=set(registry.known()),
        groups=GroupRunner(service, parker(broker, service, group_id, progress), progress, retry_delay),
        max_attempts=max_attempts,
    )

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
    pace_when_idle(
        subscriber,
        max_records=max_records,
        active_wait_ms=fetch_max_wait_ms or options.fetch_max_wait_ms,
        idle_wait_ms=options.idle_fetch_max_wait_ms,
        idle_after_s=options.idle_after_s,
        on_fetch=progress.fetched,
    )

    @cast(Callable[[PollHandler], object], subscriber)
    async def on_poll(msg: KafkaMessage) -> None:
        progress.busy_since = time.monotonic()
        try:
            await poll.handle(msg.raw_message)
        finally:
            progress.busy_since = None


class Polling(TypedDict, total=False):
    """How much a consumer fetches at a time (as in subscribe_groups)."""

    max_records: int
    fetch_max_wait_ms: int | None


class Tuning(Polling, total=False):
    """How a consumer polls and retries (as in subscribe_groups); the defaults suit commands."""

    options: ConsumerOptions | None
    max_attempts: int
    retry_delay: float


# A topic that comes in bulk and where nobody waits on one record (the billing registry, 100k
# records an import): fuller polls make fewer transactions.
BULK: Polling = {"max_records": 1000, "fetch_max_wait_ms": 200}


def subscribe(
    broker: KafkaBroker,
    topics: str | Sequence[str],
    *,
    service: str,
    group_id: str,
    registry: MessageRegistry,
    handlers: Mapping[type[Message], Handler],
    **tuning: Unpack[Tuning],
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
        **tuning,
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
    **tuning: Unpack[Tuning],
) -> None:
    """subscribe_groups() with one batch handler for every type in `handled`."""
    subscribe_groups(
        broker,
        topics,
        service=service,
        group_id=group_id,
        registry=registry,
        handlers=dict.fromkeys(handled, handler),
        **tuning,
    )
