"""The meter aggregate's stream (`meter-{meter_id}`) and its state, loaded one at a time (commands)
or many at once (a registry batch)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import cast

import asyncpg
from meterbot_contracts import Envelope, Message
from meterbot_contracts.all import default_registry
from meterbot_platform.application import as_messages, caused_by, load_stream, load_streams
from meterbot_platform.eventstore import EventStore, NewEvent, StreamAppend

from readings.domain import MeterEvent, MeterState, fold

STREAM_PREFIX = "meter-"


def meter_stream(meter_id: str) -> str:
    return f"{STREAM_PREFIX}{meter_id}"


def _fold(messages: Iterable[Message], state: MeterState | None = None) -> MeterState:
    return fold(cast(Iterable[MeterEvent], messages), state)


async def load_meter(conn: asyncpg.Connection, store: EventStore, meter_id: str) -> tuple[MeterState, int]:
    """The meter's state and stream version (0: nothing recorded for this id yet)."""
    events, version = await load_stream(conn, store, meter_stream(meter_id))
    return _fold(as_messages(events, default_registry)), version


class MeterBook:
    """The meters one transaction works on: loaded in one query, kept current as it records, so a
    registry batch naming a meter twice decides the second time on the first one's outcome; what it
    records is written by flush() in one statement (append() per meter costs five round trips)."""

    def __init__(self, conn: asyncpg.Connection, store: EventStore) -> None:
        self._conn, self._store = conn, store
        self._meters: dict[str, tuple[MeterState, int]] = {}
        self._loaded: dict[str, int] = {}  # stream version as loaded: where pending events go
        self._pending: dict[str, list[NewEvent]] = defaultdict(list)

    async def load(self, meter_ids: Iterable[str]) -> None:
        wanted = sorted({m for m in meter_ids if m not in self._meters})
        if not wanted:
            return
        streams = await load_streams(self._conn, map(meter_stream, wanted), default_registry)
        for meter_id in wanted:
            messages, version = streams[meter_stream(meter_id)]
            self._meters[meter_id] = (_fold(messages), version)
            self._loaded[meter_id] = version

    async def get(self, meter_id: str) -> MeterState:
        if meter_id not in self._meters:  # a batch loads its meters up front: usually no query
            await self.load([meter_id])
        return self._meters[meter_id][0]

    def record(self, envelope: Envelope, meter_id: str, messages: Sequence[Message]) -> None:
        """Keep what the domain decided (nothing if empty) for flush()."""
        if not messages:
            return
        state, version = self._meters[meter_id]
        self._pending[meter_id].extend(caused_by(envelope, messages))
        self._meters[meter_id] = (_fold(messages, state), version + len(messages))

    async def flush(self) -> int:
        """Write everything recorded; ConcurrencyConflict if another writer moved a stream since it
        was loaded (the transaction is then retried whole)."""
        appends = [
            StreamAppend(meter_stream(m), events, self._loaded[m]) for m, events in self._pending.items()
        ]
        written = await self._store.append_many(self._conn, appends)
        for meter_id in self._pending:
            self._loaded[meter_id] = self._meters[meter_id][1]
        self._pending.clear()
        return written
