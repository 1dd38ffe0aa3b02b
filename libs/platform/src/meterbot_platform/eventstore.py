"""Append-only event store on PostgreSQL (DESIGN §2).

Every event row carries the id of the transaction that wrote it (xid8). Readers that must not skip
(the outbox relay, projections) read in (transaction_id, position) order and only up to the oldest
transaction still running, so an event that commits late with a lower position is never passed over.
A stream's events come out in version order because append refuses to write after a newer
transaction (see eventstore_sql.APPEND). `streams` keeps each stream's version and an optional
snapshot, so a load costs the same at 10 and at 10,000 events.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple
from uuid import UUID, uuid4

import asyncpg
from meterbot_contracts import Envelope, Message

from meterbot_platform.eventstore_sql import (
    APPEND,
    HORIZON_AGE,
    LOAD_STATE,
    LOAD_STATES,
    MIGRATIONS,
    NOTIFY_CHANNEL,
    READ_COMMITTED,
    RECORDED,
    VERSIONS,
)

__all__ = ["MIGRATIONS", "NOTIFY_CHANNEL"]  # re-exported: runtime and notify import them from here


class ConcurrencyConflict(Exception):
    """The stream moved on since it was read, or a newer transaction appended to it (the per-stream
    order guard): roll back, reload, decide again, retry in a fresh transaction."""

    def __init__(self, stream_id: str, expected: int, actual: int | None = None, *, reason: str = "") -> None:
        super().__init__(reason or f"stream {stream_id!r}: expected version {expected}, found {actual}")
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
    snapshot: dict[str, Any] | None = None  # the state after these events (JSON), if worth saving
    snapshot_schema: str | None = None  # names the state model; a load asking another ignores it


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


@dataclass(frozen=True)
class StreamState:
    """What a decision needs from one stream: its version and its state as snapshot + tail."""

    stream_id: str
    version: int  # 0 = nothing recorded
    snapshot: dict[str, Any] | None  # JSON state saved at snapshot_version (None: none, or other schema)
    snapshot_version: int  # 0 when no usable snapshot
    tail: list[RecordedEvent]  # events after snapshot_version, in version order


_COLUMNS = RECORDED


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
        version = await conn.fetchval("SELECT version FROM streams WHERE stream_id = $1", stream_id)
        return int(version or 0)

    async def append(
        self,
        conn: asyncpg.Connection,
        stream_id: str,
        events: Sequence[NewEvent],
        expected_version: int,
        *,
        snapshot: dict[str, Any] | None = None,
        snapshot_schema: str | None = None,
    ) -> list[RecordedEvent]:
        """Append atomically after `expected_version` (0 = a new stream) or raise ConcurrencyConflict
        (nothing written; roll back and retry the transaction whole: a retry also gets a newer
        transaction id, which the per-stream order guard may ask for). One round trip.

        `snapshot` is the stream's state after these events, saved under `snapshot_schema`; with no
        events it snapshots the stream as it is at `expected_version`. Run it inside the caller's
        transaction together with the inbox mark (DESIGN §2)."""
        append = StreamAppend(stream_id, events, expected_version, snapshot, snapshot_schema)
        return [_record(r) for r in await self._write(conn, [append])]

    async def append_many(self, conn: asyncpg.Connection, appends: Sequence[StreamAppend]) -> int:
        """Append to many streams in one statement (a poll or a registry batch touches hundreds):
        each stream's events after its expected version, all or nothing, in the order given; how
        many events. A stream named twice is appended to in turn (the second part's expected
        version must follow the first). A stream that moved: ConcurrencyConflict, and nothing of the
        batch is written; the caller's transaction may be aborted (retry it whole)."""
        return len(await self._write(conn, appends))  # rows only: building events costs ~0.08 ms each

    async def _write(self, conn: asyncpg.Connection, appends: Sequence[StreamAppend]) -> list[asyncpg.Record]:
        """The written rows, in position order."""
        merged = _merge(appends)
        if not merged:
            return []
        claims = sorted(merged, key=lambda a: a.stream_id)
        rows = [(a.stream_id, a.expected_version + i, e) for a in merged for i, e in enumerate(a.events, 1)]
        try:
            result = await conn.fetch(
                APPEND,
                [a.stream_id for a in claims],
                [a.expected_version for a in claims],
                [a.expected_version + len(a.events) for a in claims],
                [None if a.snapshot is None else json.dumps(a.snapshot) for a in claims],
                [a.snapshot_schema for a in claims],
                [stream for stream, _, _ in rows],
                [version for _, version, _ in rows],
                [e.type for _, _, e in rows],
                [e.version for _, _, e in rows],
                [json.dumps(e.data) for _, _, e in rows],
                [_metadata(e) for _, _, e in rows],
            )
        except (asyncpg.SerializationError, asyncpg.DeadlockDetectedError) as exc:
            # part of the batch was claimed, or the caller's own earlier writes crossed another
            # writer's: all undone, the transaction is aborted
            raise ConcurrencyConflict(str(exc), -1) from None
        except asyncpg.UniqueViolationError as exc:  # events written around this store
            raise ConcurrencyConflict(str(exc.detail or "a stream of the batch"), -1) from None
        if not result[0]["all_claimed"]:
            await self._refused(conn, merged)
        return [r for r in result if r["position"] is not None]

    async def _refused(self, conn: asyncpg.Connection, appends: Sequence[StreamAppend]) -> None:
        found = await conn.fetch(VERSIONS, [a.stream_id for a in appends])
        actual = {r["stream_id"]: r["version"] for r in found}
        for a in appends:
            if actual.get(a.stream_id, 0) != a.expected_version:
                raise ConcurrencyConflict(a.stream_id, a.expected_version, actual.get(a.stream_id, 0))
        first = appends[0]  # every version as expected: the order guard refused
        raise ConcurrencyConflict(
            first.stream_id,
            first.expected_version,
            first.expected_version,
            reason=f"stream {first.stream_id!r}: a transaction newer than this one appended to it; retry",
        )

    async def load_states(
        self, conn: asyncpg.Connection, stream_ids: Iterable[str], *, schema: str
    ) -> dict[str, StreamState]:
        """Many streams in one query: each one's version, its snapshot saved under `schema` (if
        any) and the events after it. Every asked id is in the result (unknown: version 0)."""
        found: dict[str, tuple[int, dict[str, Any] | None, int, list[RecordedEvent]]] = {}
        wanted = sorted(set(stream_ids))
        if len(wanted) == 1:
            rows = await conn.fetch(LOAD_STATE, wanted[0], schema)
        else:
            rows = await conn.fetch(LOAD_STATES, wanted, schema)
        for row in rows:
            stream_id = row["asked"]
            if stream_id not in found:
                snapshot = json.loads(row["snapshot"]) if row["snapshot"] is not None else None
                found[stream_id] = (row["at_version"], snapshot, row["snapshot_version"], [])
            if row["position"] is not None:
                found[stream_id][3].append(_record(row))
        return {
            s: StreamState(s, version, snapshot, snapshot_version, tail)
            for s, (version, snapshot, snapshot_version, tail) in found.items()
        }

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
        """Events after `after` in commit order, stopping before any transaction of this database
        still running (see eventstore_sql.HORIZON)."""
        rows = await conn.fetch(READ_COMMITTED, str(after.transaction_id), after.position, limit)
        return [_record(r) for r in rows]

    async def horizon_age(self, conn: asyncpg.Connection) -> float:
        """Seconds the transaction that holds read_committed back has been running (0: none)."""
        return float(await conn.fetchval(HORIZON_AGE))

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


def _merge(appends: Sequence[StreamAppend]) -> list[StreamAppend]:
    """One part per stream (the statement claims each stream once), in first-seen order; parts
    without events or snapshot dropped; a second part must continue where the first ends."""
    merged: dict[str, StreamAppend] = {}
    for a in appends:
        if a.expected_version < 0:
            raise ValueError(f"stream {a.stream_id!r}: expected version {a.expected_version} < 0")
        if not a.events and a.snapshot is None:
            continue
        if not a.events and a.expected_version == 0:
            raise ValueError(f"stream {a.stream_id!r}: a snapshot of nothing")
        if a.snapshot is not None and not a.snapshot_schema:
            raise ValueError(f"stream {a.stream_id!r}: a snapshot needs its schema name")
        before = merged.get(a.stream_id)
        if before is None:
            merged[a.stream_id] = a
            continue
        at = before.expected_version + len(before.events)
        if a.expected_version != at:
            raise ConcurrencyConflict(a.stream_id, a.expected_version, at)
        # a snapshot belongs to the end of its own part: only the last part's can stay
        merged[a.stream_id] = StreamAppend(
            a.stream_id, [*before.events, *a.events], before.expected_version, a.snapshot, a.snapshot_schema
        )
    return list(merged.values())
