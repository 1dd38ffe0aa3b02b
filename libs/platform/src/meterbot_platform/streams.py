"""StreamBook: the streams one transaction works on, of one or several kinds, loaded in one query
and kept current as the transaction records events (a group naming a stream twice decides the
second time on the first one's outcome); flush() writes everything in one append_many.

A kind says how a stream becomes state: a frozen pydantic model moved on by `evolve` per event
(with the event's time, for rules that count time)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar, cast

import asyncpg
from meterbot_contracts import Message, MessageRegistry
from pydantic import BaseModel

from meterbot_platform.eventstore import EventStore, NewEvent, StreamAppend

S = TypeVar("S", bound=BaseModel)


@dataclass(frozen=True)
class StreamKind(Generic[S]):
    """One kind of stream: `{prefix}{key}` folded into `state` by `evolve`."""

    prefix: str
    state: type[S]
    evolve: Callable[[S, Message, datetime], S]
    # the snapshot's schema: a snapshot written under another one is ignored (state from replay)
    snapshot_schema: str = "1"

    def stream(self, key: object) -> str:
        return f"{self.prefix}{key}"

    def fold(self, events: Iterable[tuple[Message, datetime]], state: S | None = None) -> S:
        current = state if state is not None else self.state()
        for message, at in events:
            current = self.evolve(current, message, at)
        return current


@dataclass
class _Entry:
    kind: StreamKind[Any]
    state: Any
    version: int
    loaded_version: int
    pending: list[NewEvent] = field(default_factory=list)


class StreamBook:
    def __init__(self, conn: asyncpg.Connection, store: EventStore, registry: MessageRegistry) -> None:
        self._conn, self._store, self._registry = conn, store, registry
        self._entries: dict[str, _Entry] = {}

    async def load(self, kind: StreamKind[Any], keys: Iterable[object]) -> None:
        """Load the streams of `keys` not loaded yet (one query for all of them)."""
        wanted = sorted({kind.stream(k) for k in keys} - self._entries.keys())
        if not wanted:
            return
        histories: dict[str, list[tuple[Message, datetime]]] = {s: [] for s in wanted}
        versions = dict.fromkeys(wanted, 0)
        rows = await self._conn.fetch(
            "SELECT stream_id, stream_version, type, schema_version, data::text AS data,"
            " metadata->>'occurred_at' AS occurred_at FROM events"
            " WHERE stream_id = ANY($1::text[]) ORDER BY stream_id, stream_version",
            wanted,
        )
        for row in rows:
            message = self._registry.parse_data(row["type"], row["schema_version"], json.loads(row["data"]))
            histories[row["stream_id"]].append((message, datetime.fromisoformat(row["occurred_at"])))
            versions[row["stream_id"]] = row["stream_version"]
        for stream_id in wanted:
            version = versions[stream_id]
            self._entries[stream_id] = _Entry(kind, kind.fold(histories[stream_id]), version, version)

    def get(self, kind: StreamKind[S], key: object) -> S:
        return cast(S, self._entries[kind.stream(key)].state)

    def record(self, kind: StreamKind[S], key: object, events: Sequence[NewEvent], messages: Sequence[Message]) -> S:
        """Keep `events` (the recorded form of `messages`, nothing if empty) for flush() and move the
        stream's state on; the new state."""
        entry = self._entries[kind.stream(key)]
        if events:
            entry.pending.extend(events)
            entry.state = kind.fold(zip(messages, (e.occurred_at for e in events), strict=True), entry.state)
            entry.version += len(events)
        return cast(S, entry.state)

    async def flush(self) -> int:
        """Write everything recorded; ConcurrencyConflict if another writer moved a stream since it
        was loaded (the transaction is then run again whole). How many events."""
        appends = [
            StreamAppend(stream_id, entry.pending, entry.loaded_version)
            for stream_id, entry in self._entries.items()
            if entry.pending
        ]
        written = await self._store.append_many(self._conn, appends)
        for entry in self._entries.values():
            entry.pending = []
            entry.loaded_version = entry.version
        return written
