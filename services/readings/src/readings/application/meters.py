"""The meter aggregate's stream (`meter-{meter_id}`) as a kind of stream: its state is folded by the
domain's evolve and saved as a snapshot by a StreamBook's append once 10 events have none (in the
same statement), so loading a meter costs the same at 10 and at 10,000 events."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import asyncpg
from meterbot_contracts import Message
from meterbot_contracts.all import default_registry
from meterbot_platform.application import StreamBook, StreamKind
from meterbot_platform.eventstore import EventStore

from readings.domain import MeterEvent, MeterState, evolve

STREAM_PREFIX = "meter-"


def _evolve(state: MeterState, message: Message, _: datetime) -> MeterState:
    return evolve(state, cast(MeterEvent, message))


# bump the schema when MeterState changes shape: older snapshots are then ignored (replayed)
METER = StreamKind(STREAM_PREFIX, MeterState, _evolve, snapshot_schema="readings.MeterState/3")


def meter_stream(meter_id: str) -> str:
    return METER.stream(meter_id)


def meter_book(conn: asyncpg.Connection, store: EventStore) -> StreamBook:
    return StreamBook(conn, store, default_registry)


async def load_meter(conn: asyncpg.Connection, store: EventStore, meter_id: str) -> tuple[MeterState, int]:
    """One meter's state and stream version (0: nothing recorded for this id yet)."""
    book = meter_book(conn, store)
    await book.load(METER, [meter_id])
    return book.get(METER, meter_id), book.version(METER, meter_id)
