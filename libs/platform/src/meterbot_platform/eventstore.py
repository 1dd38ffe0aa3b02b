"""Append-only event store on PostgreSQL (DESIGN §2).

Every event row carries the id of the transaction that wrote it (xid8). Readers that must not skip
(the outbox relay, projections) read in (transaction_id, position) order and only up to the oldest
transaction still running, so an event that commits late with a lower position is never passed over.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple
from uuid import UUID, uuid4

import asyncpg
from meterbot_contracts import Envelope, Message

from meterbot_platform.migrations import Migration

NOTIFY_CHANNEL = "meterbot_events"

MIGRATIONS = (
    Migration(
        "platform/001_events",
        """
        CREATE TABLE events (
            position        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            transaction_id  xid8 NOT NULL DEFAULT pg_current_xact_id(),
            stream_id       text NOT NULL,
            stream_version  integer NOT NULL CHECK (stream_version > 0),
            type            text NOT NULL,
            schema_version  integer NOT NULL,
            data            jsonb NOT NULL,
            metadata        jsonb NOT NULL,
            recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
            UNIQUE (stream_id, stream_version)
        );
        CREATE INDEX events_commit_order ON events (transaction_id, position);
        """,
    ),
)


class ConcurrencyConflict(Exception):
    """The stream moved on since it was read: reload, decide again, retry."""

    def __init__(self, stream_id: str, expected: int, actual: int | None = None) -> None:
        super().__init__(f"stream {stream_id!r}: expected version {expected}, found {actual}")
        self.stream_id, self.expected, self.actual = stream_id, expected, actual


@dataclass(frozen=True)
class NewEvent:
    type: str
    version: int
    data: dict[str, Any]
    correlation_id: str
    causation_id: str | None = None
    message_id: UUID = field(default_factory=uuid4)
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def of(
        cls,
        message: Message,
        *,
        correlation_id: str,
        causation_id: str | None = None,
        occurred_at: datetime | None = None,
    ) -> NewEvent:
        return cls(
            type=message.TYPE,
            version=message.VERSION,
            data=message.model_dump(mode="json"),
            correlation_id=correlation_id,
            causation_id=causation_id,
            occurred_at=occurred_at or datetime.now(UTC),
        )


class StreamAppend(NamedTuple):
    """One stream's part of EventStore.append_many."""

    stream_id: str
    events: Sequence[NewEvent]
    expected_version: int  # the version the events were decided on (0 = a new stream)


def _metadata(event: NewEvent) -> str:
    return json.dumps(
        {
            "message_id": str(event.message_id),
            "correlation_id": event.correlation_id,
            "causation_id": event.causation_id,
            "occurred_at": event.occurred_at.astimezone(UTC).isoformat(),
        }
    )


class Cursor(NamedTuple):
    """A place in commit order; (0, 0) is the beginning."""

    transaction_id: int
    position: int


START = Cursor(0, 0)


@dataclass(frozen=True)
class RecordedEvent:
    position: int
    transaction_id: int
    stream_id: str
    stream_version: int
    type: str
    version: int
    data: dict[str, Any]
    message_id: UUID
    correlation_id: str
    causation_id: str | None
    occurred_at: datetime
    recorded_at: datetime

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.transaction_id, self.position)

    def to_envelope(self) -> Envelope:
        return Envelope(
            message_id=self.message_id,
            type=self.type,
            version=self.version,
            occurred_at=self.occurred_at,
            correlation_id=self.correlation_id,
            causation_id=self.causation_id,
            payload=self.data,
        )


_COLUMNS = (
    "position, transaction_id::text::bigint AS transaction_id, stream_id, stream_version, type,"
    " schema_version, data::text AS data, metadata::text AS metadata, recorded_at"
)


def _record(row: asyncpg.Record) -> RecordedEvent:
    meta = json.loads(row["metadata"])
    return RecordedEvent(
        position=row["position"],
        transaction_id=row["transaction_id"],
        stream_id=row["stream_id"],
        stream_version=row["stream_version"],
        type=row["type"],
        version=row["schema_version"],
        data=json.loads(row["data"]),
        message_id=UUID(meta["message_id"]),
        correlation_id=meta["correlation_id"],
        causation_id=meta.get("causation_id"),
        occurred_at=datetime.fromisoformat(meta["occurred_at"]),
        recorded_at=row["recorded_at"],
    )


class EventStore:
    """Stateless: every call takes the connection (and so the transaction) it runs in."""

    async def stream_version(self, conn: asyncpg.Connection, stream_id: str) -> int:
        version = await conn.fetchval(
            "SELECT max(stream_version) FROM events WHERE stream_id = $1", stream_id
        )
        return int(version or 0)

    async def append(
        self,
        conn: asyncpg.Connection,
        stream_id: str,
        events: Sequence[NewEvent],
        expected_version: int,
    ) -> list[RecordedEvent]:
        """Append atomically after `expected_version` (0 = a new stream) or raise ConcurrencyConflict.

        Run it inside the caller's transaction together with the inbox mark (DESIGN §2)."""
        if not events:
            return []
        actual = await self.stream_version(conn, stream_id)
        if actual != expected_version:
            raise ConcurrencyConflict(stream_id, expected_version, actual)
        versions = list(range(expected_version + 1, expected_version + 1 + len(events)))
        metadata = [_metadata(e) for e in events]
        try:
            async with conn.transaction():  # a savepoint when nested: a conflict stays catchable
                rows = await conn.fetch(
                    f"""
                    INSERT INTO events (stream_id, stream_version, type, schema_version, data, metadata)
                    SELECT $1, v, t, sv, d::jsonb, m::jsonb
                    FROM unnest($2::int[], $3::text[], $4::int[], $5::text[], $6::text[])
                         AS x(v, t, sv, d, m)
                    ORDER BY v
                    RETURNING {_COLUMNS}
                    """,
                    stream_id,
                    versions,
                    [e.type for e in events],
                    [e.version for e in events],
                    [json.dumps(e.data) for e in events],
                    metadata,
                )
        except asyncpg.UniqueViolationError:
            raise ConcurrencyConflict(stream_id, expected_version) from None
        await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)
        return [_record(r) for r in rows]

    async def append_many(self, conn: asyncpg.Connection, appends: Sequence[StreamAppend]) -> int:
        """Append to many streams in one INSERT (a registry batch touches hundreds): each stream's
        events after its expected version, all or nothing, in the order given; how many events.

        append() costs five round trips per stream; this costs two for the whole batch. A stream
        that moved since it was read already holds a version this writes: ConcurrencyConflict, and
        the caller's transaction is aborted (retry it whole)."""
        rows = [
            (a.stream_id, a.expected_version + i, e) for a in appends for i, e in enumerate(a.events, start=1)
        ]
        if not rows:
            return 0
        try:
            await conn.execute(
                """
                INSERT INTO events (stream_id, stream_version, type, schema_version, data, metadata)
                SELECT s, v, t, sv, d::jsonb, m::jsonb
                FROM unnest($1::text[], $2::int[], $3::text[], $4::int[], $5::text[], $6::text[])
                     WITH ORDINALITY AS x(s, v, t, sv, d, m, n)
                ORDER BY n
                """,
                [stream for stream, _, _ in rows],
                [version for _, version, _ in rows],
                [e.type for _, _, e in rows],
                [e.version for _, _, e in rows],
                [json.dumps(e.data) for _, _, e in rows],
                [_metadata(e) for _, _, e in rows],
            )
        except asyncpg.UniqueViolationError as exc:
            raise ConcurrencyConflict(str(exc.detail or "a stream of the batch"), -1) from None
        await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)
        return len(rows)

    async def read_stream(
        self, conn: asyncpg.Connection, stream_id: str, after_version: int = 0
    ) -> list[RecordedEvent]:
        rows = await conn.fetch(
            f"SELECT {_COLUMNS} FROM events WHERE stream_id = $1 AND stream_version > $2"
            " ORDER BY stream_version",
            stream_id,
            after_version,
        )
        return [_record(r) for r in rows]

    async def read_all(
        self, conn: asyncpg.Connection, after_position: int = 0, limit: int = 1000
    ) -> list[RecordedEvent]:
        """By global position. Positions of in-flight transactions may still appear later below
        the last one returned: use read_committed where nothing may be skipped."""
        rows = await conn.fetch(
            f"SELECT {_COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2",
            after_position,
            limit,
        )
        return [_record(r) for r in rows]

    async def read_committed(
        self, conn: asyncpg.Connection, after: Cursor = START, limit: int = 1000
    ) -> list[RecordedEvent]:
        """Events after `after` in commit order, stopping before any transaction still running."""
        rows = await conn.fetch(
            f"""
            SELECT {_COLUMNS} FROM events
            WHERE (transaction_id, position) > ($1::text::xid8, $2::bigint)
              AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
            ORDER BY events.transaction_id, events.position  -- the table columns: uses the index
            LIMIT $3
            """,
            str(after.transaction_id),
            after.position,
            limit,
        )
        return [_record(r) for r in rows]

    async def pending_after(self, conn: asyncpg.Connection, after: Cursor) -> tuple[int, float]:
        """(events not yet read past `after`, age in seconds of the oldest of them)."""
        row = await conn.fetchrow(
            """
            SELECT count(*) AS n, coalesce(extract(epoch FROM now() - min(recorded_at)), 0) AS age
            FROM events WHERE (transaction_id, position) > ($1::text::xid8, $2::bigint)
            """,
            str(after.transaction_id),
            after.position,
        )
        assert row is not None
        return int(row["n"]), float(row["age"])
