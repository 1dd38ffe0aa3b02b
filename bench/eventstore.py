"""Benchmark: meterbot EventStore vs the eventsourcing library's PostgreSQL recorder.

Single-event appends (one transaction each, one stream per writer, correct expected versions) with
1, 8 and 32 concurrent writers, then reading everything back in pages of 1000. Each system gets its
own fresh database on a real PostgreSQL: an embedded throwaway server by default, or --dsn.

    .venv/bin/python bench/eventstore.py [--quick] [--events N] [--dsn postgresql://...]

Prints numbers only. "ours/theirs" > 1 means meterbot is faster for events/s, slower for latency.
Then the before/after table of bench/eventstore_before_after.py (session9-start vs this tree:
appends, append_many, state loads at 1/100/10,000 events); --no-before-after skips it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import warnings
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID, uuid4

import asyncpg
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from meterbot_localstack import LocalPostgres
from meterbot_platform.db import database_dsn
from meterbot_platform.eventstore import START, EventStore, NewEvent
from meterbot_platform.migrations import migrate
from meterbot_platform.runtime import PLATFORM_MIGRATIONS

OURS_DB, THEIRS_DB = "bench_meterbot", "bench_eventsourcing"
PAGE = 1000


def reading(n: int) -> dict[str, Any]:
    """A ReadingAccepted-shaped payload, ~200 bytes of JSON."""
    return {
        "reading_id": str(uuid4()),
        "chat_id": 500_000_000 + n,
        "account_number": f"{n % 99991:08d}",
        "meter_id": f"EL-{n % 9973:06d}",
        "meter_type": "electricity",
        "value": f"{10000 + n % 90000}",
        "period": "2025-11",
        "submitted_at": "2025-11-23T19:29:04Z",
    }


@dataclass
class Run:
    events: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.events / self.seconds

    def pct_ms(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def split(total: int, writers: int) -> list[int]:
    return [total // writers + (1 if w < total % writers else 0) for w in range(writers)]


async def ours_appends(dsn: str, writers: int, total: int, warmup: int) -> Run:
    store, tag = EventStore(), uuid4().hex[:8]
    versions = [0] * writers

    async def writer(w: int, count: int, lat: list[float]) -> None:
        for _ in range(count):
            event = NewEvent(
                type="ReadingAccepted", version=1, data=reading(versions[w]), correlation_id=str(uuid4())
            )
            t0 = time.perf_counter()
            async with pool.acquire() as conn, conn.transaction():  # as services call it
                await store.append(conn, f"meter-{tag}-{w}", [event], expected_version=versions[w])
            lat.append(time.perf_counter() - t0)
            versions[w] += 1

    async def phase(counts: list[int]) -> Run:
        lat: list[float] = []
        t0 = time.perf_counter()
        await asyncio.gather(*(writer(w, c, lat) for w, c in enumerate(counts)))
        return Run(sum(counts), time.perf_counter() - t0, lat)

    async with asyncpg.create_pool(dsn, min_size=writers, max_size=writers) as pool:
        await phase(split(max(warmup, writers), writers))
        return await phase(split(total, writers))


def theirs_datastore(dsn: str, pool_size: int) -> PostgresDatastore:
    u = urlsplit(dsn)
    server = (u.hostname or "127.0.0.1", u.port or 5432, u.username or "postgres", u.password or "")
    return PostgresDatastore(u.path.lstrip("/"), *server, pool_size=pool_size, max_overflow=0)


def theirs_appends(dsn: str, writers: int, total: int, warmup: int) -> Run:
    datastore = theirs_datastore(dsn, writers)
    recorder = PostgresApplicationRecorder(datastore)
    recorder.create_table()  # idempotent; registers the composite type on this datastore
    datastore.pool.wait()  # all `writers` connections open before the warm-up
    ids: list[UUID] = [uuid4() for _ in range(writers)]
    versions = [0] * writers

    def writer(w: int, count: int, lat: list[float]) -> None:
        for _ in range(count):
            state = json.dumps(reading(versions[w])).encode()
            event = StoredEvent(
                originator_id=ids[w], originator_version=versions[w] + 1, topic="bench:Event", state=state
            )
            t0 = time.perf_counter()
            recorder.insert_events([event])
            lat.append(time.perf_counter() - t0)
            versions[w] += 1

    def phase(pool: ThreadPoolExecutor, counts: list[int]) -> Run:
        lat: list[float] = []
        t0 = time.perf_counter()
        for future in [pool.submit(writer, w, c, lat) for w, c in enumerate(counts)]:
            future.result()
        return Run(sum(counts), time.perf_counter() - t0, lat)

    try:
        with ThreadPoolExecutor(writers) as threads:
            phase(threads, split(max(warmup, writers), writers))
            return phase(threads, split(total, writers))
    finally:
        datastore.close()


async def timed(read: Callable[[], Awaitable[int]]) -> Run:
    """One warm pass, then the best of 3 timed passes."""
    await read()
    runs: list[Run] = []
    for _ in range(3):
        t0 = time.perf_counter()
        runs.append(Run(await read(), time.perf_counter() - t0, []))
    return min(runs, key=lambda run: run.seconds)


async def ours_reads(dsn: str) -> tuple[Run, Run]:
    store, conn = EventStore(), await asyncpg.connect(dsn)

    async def committed() -> int:
        n, cursor = 0, START
        while page := await store.read_committed(conn, cursor, PAGE):
            n, cursor = n + len(page), page[-1].cursor
        return n

    async def by_position() -> int:
        n, position = 0, 0
        while page := await store.read_all(conn, position, PAGE):
            n, position = n + len(page), page[-1].position
        return n

    try:
        return await timed(committed), await timed(by_position)
    finally:
        await conn.close()


async def theirs_reads(dsn: str) -> Run:
    datastore = theirs_datastore(dsn, 1)
    recorder = PostgresApplicationRecorder(datastore)

    async def notifications() -> int:
        n, start = 0, 0
        while page := recorder.select_notifications(start, PAGE, inclusive_of_start=False):
            n, start = n + len(page), page[-1].id
        return n

    try:
        return await timed(notifications)
    finally:
        datastore.close()


async def recreate(server: asyncpg.Connection, name: str, *, drop_only: bool = False) -> None:
    await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if not drop_only:
        await server.execute(f'CREATE DATABASE "{name}"')


async def bench(server_dsn: str, label: str, args: argparse.Namespace) -> None:
    writer_counts = [int(w) for w in args.writers.split(",")]
    ours, theirs = database_dsn(server_dsn, OURS_DB), database_dsn(server_dsn, THEIRS_DB)
    server = await asyncpg.connect(database_dsn(server_dsn, "postgres"))
    try:
        version = await server.fetchval("SHOW server_version")
        durability = [await server.fetchval(f"SHOW {s}") for s in ("fsync", "synchronous_commit")]
        for name in (OURS_DB, THEIRS_DB):
            await recreate(server, name)
        async with asyncpg.create_pool(ours, min_size=1, max_size=1) as pool:
            await migrate(pool, PLATFORM_MIGRATIONS)

        rows: list[tuple[str, float, float]] = []  # (metric, ours, theirs)
        for writers in writer_counts:
            a = await ours_appends(ours, writers, args.events, args.warmup)
            b = theirs_appends(theirs, writers, args.events, args.warmup)
            rows += [
                (f"append {writers:>2} writers  events/s", a.rate, b.rate),
                (f"append {writers:>2} writers  p50 ms", a.pct_ms(0.50), b.pct_ms(0.50)),
                (f"append {writers:>2} writers  p99 ms", a.pct_ms(0.99), b.pct_ms(0.99)),
            ]
        committed, by_position = await ours_reads(ours)
        notifications = await theirs_reads(theirs)
        rows += [
            ("read-all read_committed  events/s", committed.rate, notifications.rate),
            ("read-all read_all        events/s", by_position.rate, notifications.rate),
        ]
    finally:
        for name in (OURS_DB, THEIRS_DB):
            await recreate(server, name, drop_only=True)
        await server.close()

    print(
        f"PostgreSQL {version} ({label}; fsync={durability[0]}, synchronous_commit={durability[1]})"
        f"\n{args.events} timed appends per row after {args.warmup} untimed; read-all: pages of {PAGE},"
        f" best of 3, {committed.events}/{by_position.events}/{notifications.events} events"
        "\ntheirs' read-all = select_notifications; ours/theirs > 1: ours faster (events/s), slower (ms)"
    )
    print(f"{'metric':<36}{'meterbot':>12}{'eventsourcing':>15}{'ours/theirs':>13}")
    for name, x, y in rows:
        fmt = ".0f" if "events/s" in name else ".2f"
        print(f"{name:<36}{x:>12{fmt}}{y:>15{fmt}}{x / y:>13.2f}")
    if not args.no_before_after:
        from eventstore_before_after import before_after  # beside this script

        await before_after(server_dsn, args.events)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", help="server DSN; default: a throwaway embedded PostgreSQL")
    parser.add_argument("--events", type=int, default=3000, help="timed appends per writer count")
    parser.add_argument("--warmup", type=int, default=300, help="untimed appends before each row")
    parser.add_argument("--writers", default="1,8,32", help="comma-separated writer counts")
    parser.add_argument("--quick", action="store_true", help="100 events, 20 warm-up: a CI smoke run")
    parser.add_argument("--no-before-after", action="store_true", help="skip the session9-start comparison")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", module="platformdirs")  # XDG_RUNTIME_DIR unset
    if args.quick:
        args.events, args.warmup = 100, 20
    if args.dsn:
        asyncio.run(bench(args.dsn, "--dsn", args))
        return
    with tempfile.TemporaryDirectory(prefix="bench-pg-") as tmp:
        server = LocalPostgres(Path(tmp) / "pgdata", durable=True)
        try:
            asyncio.run(bench(server.start(), "embedded, durable", args))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
