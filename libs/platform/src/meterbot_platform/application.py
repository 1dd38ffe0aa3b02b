"""The shape every command handler shares: one transaction holding the inbox claim, the load of
the stream, the decision and the append; retried when another writer moved the stream first."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

import asyncpg
from meterbot_contracts import Envelope, Message, MessageRegistry

from meterbot_platform import inbox
from meterbot_platform.eventstore import ConcurrencyConflict, EventStore, NewEvent, RecordedEvent

T = TypeVar("T")
DUPLICATE = "duplicate"


async def in_transaction(
    pool: asyncpg.Pool,
    *,
    consumer: str,
    envelope: Envelope,
    work: Callable[[asyncpg.Connection], Awaitable[str]],
    attempts: int = 5,
) -> str:
    """Run `work` once per message id; its return value is the outcome for the metrics."""
    for attempt in range(1, attempts + 1):
        try:
            async with pool.acquire() as conn, conn.transaction():
                if not await inbox.claim(conn, consumer, envelope.message_id):
                    return DUPLICATE
                return await work(conn)
        except ConcurrencyConflict:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


def caused_by(envelope: Envelope, messages: Sequence[Message]) -> list[NewEvent]:
    """Events that carry the command's correlation id and name it as their cause."""
    return [
        NewEvent.of(m, correlation_id=envelope.correlation_id, causation_id=str(envelope.message_id))
        for m in messages
    ]


async def load_stream(
    conn: asyncpg.Connection, store: EventStore, stream_id: str
) -> tuple[list[RecordedEvent], int]:
    """The stream's events and its version (for the expected version of the next append)."""
    events = await store.read_stream(conn, stream_id)
    return events, (events[-1].stream_version if events else 0)


async def load_streams(
    conn: asyncpg.Connection, stream_ids: Iterable[str], registry: MessageRegistry
) -> dict[str, tuple[list[Message], int]]:
    """Many streams in one query (a registry batch decides on hundreds of aggregates): each one's
    typed messages and version (0: nothing recorded). Only what a fold needs is read and parsed."""
    wanted = sorted(set(stream_ids))
    streams: dict[str, tuple[list[Message], int]] = {s: ([], 0) for s in wanted}
    rows = await conn.fetch(
        "SELECT stream_id, stream_version, type, schema_version, data::text AS data FROM events"
        " WHERE stream_id = ANY($1::text[]) ORDER BY stream_id, stream_version",
        wanted,
    )
    for row in rows:
        messages, _ = streams[row["stream_id"]]
        messages.append(registry.parse_data(row["type"], row["schema_version"], json.loads(row["data"])))
        streams[row["stream_id"]] = (messages, row["stream_version"])
    return streams


def as_messages(events: Sequence[RecordedEvent], registry: MessageRegistry) -> list[Message]:
    """Typed contract messages of recorded events (for the domain's evolve/fold)."""
    return [registry.parse_data(e.type, e.version, e.data) for e in events]


def answering_handler(
    pool: asyncpg.Pool,
    consumer: str,
    decide: Callable[[asyncpg.Connection, Envelope, Any], Awaitable[Message]],
    after_commit: Callable[[Message], str],
) -> Callable[[Envelope, Any], Awaitable[str]]:
    """A subscriber handler for a command that gets exactly one answer event: `decide` loads,
    decides and appends inside in_transaction(); `after_commit` sees the answer only once it is
    committed (metrics) and names the outcome. A redelivered command returns "duplicate"."""

    async def handle(envelope: Envelope, command: Any) -> str:
        answers: list[Message] = []

        async def work(conn: asyncpg.Connection) -> str:
            answers[:] = [await decide(conn, envelope, command)]
            return "decided"

        outcome = await in_transaction(pool, consumer=consumer, envelope=envelope, work=work)
        return DUPLICATE if outcome == DUPLICATE else after_commit(answers[0])

    return handle
