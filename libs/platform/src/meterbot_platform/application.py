"""The shapes every command handler shares.

- run_transaction(): one transaction, run again from scratch when another writer moved a stream
  first (ConcurrencyConflict): the one retry loop of every handler.
- group_handler(): group commit. A group of commands (one partition's share of a poll) is handled
  in ONE transaction: which are new (inbox), the state of every stream they touch loaded in one go,
  each decided in memory in order (the state moving on as it records), everything appended with
  append_many and the inbox claims written last. A command whose (pure) decision raises is
  refused alone and parked by the consumer; the others commit.
- in_transaction() / answering_handler(): the same for one message at a time.
- StreamBook: the streams one transaction works on (any kinds), loaded in one query.

Writes come last in each transaction (loads and the inbox check are reads): a transaction gets its
id at its first write, and the relay publishes in transaction-id order, so writing early could
publish a stream's versions out of order (issue 17 item 6)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

import asyncpg
from meterbot_contracts import Envelope, Message, MessageRegistry

from meterbot_platform import inbox
from meterbot_platform.consumer import BatchHandler, BatchResult, DeadLetter
from meterbot_platform.eventstore import ConcurrencyConflict, EventStore, NewEvent, RecordedEvent
from meterbot_platform.streams import StreamBook, StreamKind

__all__ = [
    "DUPLICATE",
    "StreamBook",
    "StreamKind",
    "answering_handler",
    "as_messages",
    "caused_by",
    "group_handler",
    "in_transaction",
    "load_stream",
    "run_transaction",
]

T = TypeVar("T")
U = TypeVar("U", bound="Unit")
A = TypeVar("A")
DUPLICATE = "duplicate"
ATTEMPTS = 5


class Unit(Protocol):
    """What a group's commands work on in one transaction; flush() writes what they decided."""

    async def flush(self) -> object: ...


async def run_transaction(
    pool: asyncpg.Pool, work: Callable[[asyncpg.Connection], Awaitable[T]], attempts: int = ATTEMPTS
) -> T:
    """`work` in a fresh transaction, run again (from its loads) on ConcurrencyConflict."""
    for attempt in range(1, attempts + 1):
        try:
            async with pool.acquire() as conn, conn.transaction():
                return await work(conn)
        except ConcurrencyConflict:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


async def _claim_last(conn: asyncpg.Connection, consumer: str, message_ids: Sequence[UUID]) -> None:
    """Claim the handled messages; one claimed meanwhile by another consumer instance (a rebalance)
    makes the whole transaction run again, where it is then seen as a duplicate."""
    if not message_ids:
        return
    claimed = await inbox.claim_many(conn, consumer, message_ids)
    if len(claimed) != len(set(message_ids)):
        raise ConcurrencyConflict(f"inbox:{consumer}", 0)


def group_handler(
    pool: asyncpg.Pool,
    consumer: str,
    *,
    prepare: Callable[[asyncpg.Connection, list[tuple[Envelope, Any]]], Awaitable[U]],
    decide: Callable[[U, Envelope, Any], A],
    count: Callable[[A], str],
) -> BatchHandler:
    """A consumer's batch handler for commands. `prepare` loads what the group's new commands need
    (one or a few queries); `decide` decides one command on it and records its events (pure apart
    from that; it returns the answer); `count` sees each answer once committed (metrics) and names
    its outcome."""

    async def handle(items: list[tuple[Envelope, Any]]) -> BatchResult:
        answers: dict[UUID, A] = {}
        refused: dict[UUID, DeadLetter] = {}
        # Optimistic: most groups are new, so the inbox is only read after a claim found a
        # message done already (a redelivery); that attempt is rolled back and run again.
        read_inbox_first = False

        async def work(conn: asyncpg.Connection) -> None:
            nonlocal read_inbox_first
            answers.clear()
            refused.clear()
            ids = [e.message_id for e, _ in items]
            done = await inbox.already_claimed(conn, consumer, ids) if read_inbox_first else set()
            fresh: list[tuple[Envelope, Any]] = []
            for envelope, command in items:
                if envelope.message_id not in done:
                    done.add(envelope.message_id)  # twice in one group: once
                    fresh.append((envelope, command))
            if not fresh:
                return
            unit = await prepare(conn, fresh)
            for envelope, command in fresh:
                try:
                    answers[envelope.message_id] = decide(unit, envelope, command)
                except Exception as exc:  # a pure decision failed: this command alone
                    refused[envelope.message_id] = DeadLetter("handler_error", f"{type(exc).__name__}: {exc}")
            await unit.flush()
            try:
                await _claim_last(conn, consumer, list(answers))
            except ConcurrencyConflict:
                read_inbox_first = True
                raise

        await run_transaction(pool, work)
        outcomes = {mid: count(answer) for mid, answer in answers.items()}
        return BatchResult(applied=set(answers), outcomes=outcomes, refused=dict(refused))

    return handle


async def in_transaction(
    pool: asyncpg.Pool,
    *,
    consumer: str,
    envelope: Envelope,
    work: Callable[[asyncpg.Connection], Awaitable[str]],
    attempts: int = ATTEMPTS,
) -> str:
    """Run `work` once per message id; its return value is the outcome for the metrics."""

    async def once(conn: asyncpg.Connection) -> str:
        if await inbox.already_claimed(conn, consumer, [envelope.message_id]):
            return DUPLICATE
        outcome = await work(conn)
        await _claim_last(conn, consumer, [envelope.message_id])
        return outcome

    return await run_transaction(pool, once, attempts)


def caused_by(envelope: Envelope, messages: Sequence[Message], at: datetime | None = None) -> list[NewEvent]:
    """Events that carry the command's correlation id and name it as their cause; `at` is when
    they occurred (default now; rules that count time pass the injected clock's)."""
    return [
        NewEvent.of(
            m, correlation_id=envelope.correlation_id, causation_id=str(envelope.message_id), occurred_at=at
        )
        for m in messages
    ]


async def load_stream(
    conn: asyncpg.Connection, store: EventStore, stream_id: str
) -> tuple[list[RecordedEvent], int]:
    """The stream's events and its version (for the expected version of the next append)."""
    events = await store.read_stream(conn, stream_id)
    return events, (events[-1].stream_version if events else 0)


def as_messages(events: Sequence[RecordedEvent], registry: MessageRegistry) -> list[Message]:
    """Typed contract messages of recorded events (for the domain's evolve/fold)."""
    return [registry.parse_data(e.type, e.version, e.data) for e in events]


def answering_handler(
    pool: asyncpg.Pool,
    consumer: str,
    decide: Callable[[asyncpg.Connection, Envelope, Any], Awaitable[T]],
    after_commit: Callable[[T], str],
) -> Callable[[Envelope, Any], Awaitable[str]]:
    """A per-message subscriber handler: `decide` loads, decides and appends inside
    in_transaction() and returns what it answered (one event or several); `after_commit` sees it
    only once committed (metrics) and names the outcome. A redelivered command: "duplicate"."""

    async def handle(envelope: Envelope, command: Any) -> str:
        answers: list[T] = []

        async def work(conn: asyncpg.Connection) -> str:
            answers[:] = [await decide(conn, envelope, command)]
            return "decided"

        outcome = await in_transaction(pool, consumer=consumer, envelope=envelope, work=work)
        return DUPLICATE if outcome == DUPLICATE else after_commit(answers[0])

    return handle
