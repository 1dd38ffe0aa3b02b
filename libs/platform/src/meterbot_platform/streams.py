"""StreamBook: the streams one transaction works on, of one or several kinds, loaded in one query
and kept current as the transaction records events (a group naming a stream twice decides the
second time on the first one's outcome); flush() writes everything in one append_many.

A kind says how a stream becomes state: a frozen pydantic model moved on by `evolve` per event
(with the event's time, for rules that count time). Every flush saves the state of each stream it
appends to whose events since its last snapshot reached `snapshot_every` saves the state as its
snapshot, in the same statement, so a load reads the snapshot and fewer than `snapshot_every`
events (plus what a writer without snapshots added): the same cost at 10 and at 10,000 events.
Not every append: a snapshot costs a JSON dump and a row update, more than folding a few events."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar, cast

import asyncpg
from meterbot_contracts import Message, MessageRegistry
from pydantic import BaseModel

from meterbot_platform.eventstore import EventStore, NewEvent, RecordedEvent, StreamAppend

S = TypeVar("S", bound=BaseModel)


@dataclass(frozen=True)
class StreamKind(Generic[S]):
    """One kind of stream: `{prefix}{key}` folded into `state` by `evolve`."""

    prefix: str
    state: type[S]
    evolve: Callable[[S, Message, datetime], S]
    # names the state model and its version: a snapshot saved under another name is ignored (the
    # state is then folded from all the stream's events); bump it when the state model changes
    snapshot_schema: str
    snapshot_every: int = 10  # events since the last snapshot that make a flush save a new one

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
    snapshot_version: int
    pending: list[NewEvent] = field(default_factory=list)


class StreamBook:
    def __init__(self, conn: asyncpg.Connection, store: EventStore, registry: MessageRegistry) -> None:
        self._conn, self._store, self._registry = conn, store, registry
        self._entries: dict[str, _Entry] = {}

    async def load(self, kind: StreamKind[Any], keys: Iterable[object]) -> None:
        """Load the streams of `keys` not loaded yet (one query for all of them): each from its
        snapshot and the events after it, or from all its events when it has no snapshot of the
        kind's schema."""
        wanted = {kind.stream(k) for k in keys} - self._entries.keys()
        if not wanted:
            return
        states = await self._store.load_states(self._conn, wanted, schema=kind.snapshot_schema)
        for stream_id, loaded in states.items():
            start = kind.state.model_validate(loaded.snapshot) if loaded.snapshot is not None else None
            state = kind.fold(((self.parse(e), e.occurred_at) for e in loaded.tail), start)
            self._entries[stream_id] = _Entry(
                kind, state, loaded.version, loaded.version, loaded.snapshot_version
            )

    def parse(self, event: RecordedEvent) -> Message:
        return self._registry.parse_data(event.type, event.version, event.data)

    def get(self, kind: StreamKind[S], key: object) -> S:
        return cast(S, self._entries[kind.stream(key)].state)

    def version(self, kind: StreamKind[Any], key: object) -> int:
        return self._entries[kind.stream(key)].version

    def record(
        self, kind: StreamKind[S], key: object, events: Sequence[NewEvent], messages: Sequence[Message]
    ) -> S:
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
        appends = [self._append(stream, entry) for stream, entry in self._entries.items() if entry.pending]
        written = await self._store.append_many(self._conn, appends)
        for entry in self._entries.values():
            entry.pending = []
            entry.loaded_version = entry.version
        return written

    @staticmethod
    def _append(stream_id: str, entry: _Entry) -> StreamAppend:
        if entry.version - entry.snapshot_version < entry.kind.snapshot_every:
            return StreamAppend(stream_id, entry.pending, entry.loaded_version)
        entry.snapshot_version = entry.version
        snapshot, schema = entry.state.model_dump(mode="json"), entry.kind.snapshot_schema
        return StreamAppend(stream_id, entry.pending, entry.loaded_version, snapshot, schema)
