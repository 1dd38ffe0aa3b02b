"""`load_meter` (readings' meter state load, the first step of every ReadingSubmitted) at 1, 100 and
10,000 events in the meter's stream, on a scratch database of the stack's PostgreSQL server with
readings' schema. The streams hold a registration, then accepted readings (what ten years of
registry re-imports and readings leave in a stream), written as readings writes them."""

from __future__ import annotations

import importlib
import time
from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import asyncpg
from meterbot_contracts import Message
from meterbot_contracts.readings import MeterRegistered, MeterType, ReadingAccepted
from meterbot_platform.db import create_pool, ensure_database
from meterbot_platform.eventstore import EventStore, NewEvent, StreamAppend
from meterbot_platform.migrations import migrate
from meterbot_platform.runtime import PLATFORM_MIGRATIONS
from readings.application.meters import load_meter, meter_stream
from readings.migrations import MIGRATIONS

SIZES = (1, 100, 10_000)


def _messages(meter_id: str, count: int) -> list[Message]:
    registered = MeterRegistered(
        meter_id=meter_id,
        account_number="600000",
        meter_type=MeterType.COLD_WATER,
        serial_number="SN",
        verified_until=None,
        last_value=Decimal(100),
        last_value_date=None,
    )
    messages: list[Message] = [registered]
    for n in range(1, count):
        year, month = 2020 + (n // 12) % 80, n % 12 + 1
        accepted = ReadingAccepted(
            reading_id=uuid4(),
            chat_id=1,
            account_number="600000",
            meter_id=meter_id,
            meter_type=MeterType.COLD_WATER,
            value=Decimal(100 + n),
            previous_value=Decimal(99 + n),
            period=f"{year:04d}-{month:02d}",
            submitted_at=datetime(year, month, 10, tzinfo=UTC),
        )
        messages.append(accepted)
    return messages


async def _write_stream(conn: asyncpg.Connection, store: EventStore, meter_id: str, size: int) -> None:
    """The way readings writes a meter's stream: with its state snapshot where readings keeps one
    (a StreamBook of the METER kind), else plain events."""
    messages = _messages(meter_id, size)
    events = [NewEvent.of(m, correlation_id="bench") for m in messages]
    meters = importlib.import_module("readings.application.meters")
    kind, book_of = getattr(meters, "METER", None), getattr(meters, "meter_book", None)
    async with conn.transaction():
        if kind is not None and book_of is not None:
            book = book_of(conn, store)
            await book.load(kind, [meter_id])
            book.record(kind, meter_id, events, messages)
            await book.flush()
        else:
            await store.append_many(conn, [StreamAppend(meter_stream(meter_id), events, 0)])


async def load_meter_times(server_dsn: str, repeats: int = 20) -> dict[int, float]:
    """Events in the stream -> milliseconds per load_meter (median of `repeats`)."""
    dsn = await ensure_database(server_dsn, "bench_readings")
    pool = await create_pool(dsn, 1, 2)
    store = EventStore()
    times: dict[int, float] = {}
    try:
        await migrate(pool, (*PLATFORM_MIGRATIONS, *MIGRATIONS))
        async with pool.acquire() as conn:
            for size in SIZES:
                meter_id = f"lm-{size}-{uuid4().hex[:8]}"
                await _write_stream(conn, store, meter_id, size)
                times[size] = await _median_load(conn, store, meter_id, repeats if size < 10_000 else 5)
    finally:
        await pool.close()
    return times


async def _median_load(conn: asyncpg.Connection, store: EventStore, meter_id: str, repeats: int) -> float:
    spent = []
    for _ in range(repeats):
        started = time.perf_counter()
        async with conn.transaction():
            await load_meter(conn, store, meter_id)
        spent.append((time.perf_counter() - started) * 1000)
    return sorted(spent)[len(spent) // 2]
