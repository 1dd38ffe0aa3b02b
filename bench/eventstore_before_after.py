"""Before/after of the streams table, in one run on one server: the event store of session9-start
(read from git) against today's, each in its own fresh database.

- single-event appends, one transaction each (the command path of issue 19), 1 and 8 writers;
- append_many of 100 streams x 1 event per transaction (a poll committed as a group);
- a state load at 1 / 100 / 10,000 events per stream: before = read_stream (replay all), after =
  load_states without and with a snapshot saved by the last append.

Called by bench/eventstore.py, or alone on a throwaway embedded server:
    .venv/bin/python bench/eventstore_before_after.py [--events N]
Prints numbers only."""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import uuid4

import asyncpg
from meterbot_platform import eventstore
from meterbot_platform.db import database_dsn
from meterbot_platform.migrations import migrate
from meterbot_platform.runtime import PLATFORM_MIGRATIONS

BASELINE = "session9-start"
BEFORE_DB, AFTER_DB = "bench_store_before", "bench_store_after"
LOAD_SIZES = (1, 100, 10_000)
SCHEMA = "bench-v1"


def baseline_store() -> ModuleType:
    """meterbot_platform/eventstore.py as it was at the tag, imported under another name."""
    source = subprocess.run(
        ["git", "show", f"{BASELINE}:libs/platform/src/meterbot_platform/eventstore.py"],
        cwd=Path(__file__).resolve().parent,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp(prefix="bench-store-")) / "eventstore_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("eventstore_before", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["eventstore_before"] = module
    spec.loader.exec_module(module)
    return module


def reading(n: int) -> dict[str, Any]:
    return {
        "reading_id": str(uuid4()),
        "meter_id": f"EL-{n:06d}",
        "value": f"{10000 + n}",
        "period": "2025-11",
    }


def event(module: ModuleType, n: int) -> Any:  # the NewEvent of either module
    return module.NewEvent(type="ReadingAccepted", version=1, data=reading(n), correlation_id="bench")


async def single_appends(
    module: ModuleType, pool: asyncpg.Pool, writers: int, per_writer: int
) -> tuple[float, float]:
    """(events/s, p50 ms) of one-event appends, one transaction each."""
    store, tag, latencies = module.EventStore(), uuid4().hex[:6], []

    async def writer(w: int) -> None:
        for version in range(per_writer):
            t0 = time.perf_counter()
            async with pool.acquire() as conn, conn.transaction():
                await store.append(conn, f"m-{tag}-{w}", [event(module, version)], version)
            latencies.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    await asyncio.gather(*(writer(w) for w in range(writers)))
    return writers * per_writer / (time.perf_counter() - t0), 1000 * statistics.median(latencies)


async def batch_appends(module: ModuleType, pool: asyncpg.Pool, batches: int, streams: int) -> float:
    """events/s of append_many over `streams` streams x 1 event per transaction."""
    store, tag = module.EventStore(), uuid4().hex[:6]
    t0 = time.perf_counter()
    for b in range(batches):
        appends = [module.StreamAppend(f"b-{tag}-{s}", [event(module, s)], b) for s in range(streams)]
        async with pool.acquire() as conn, conn.transaction():
            await store.append_many(conn, appends)
    return batches * streams / (time.perf_counter() - t0)


async def fill(module: ModuleType, pool: asyncpg.Pool, stream: str, n: int, *, snapshot: bool) -> None:
    store = module.EventStore()
    async with pool.acquire() as conn:
        for start in range(0, n, 1000):
            chunk = [event(module, i) for i in range(start, min(n, start + 1000))]
            last = start + len(chunk) == n
            if snapshot and last:
                await store.append(conn, stream, chunk, start, snapshot={"value": n}, snapshot_schema=SCHEMA)
            else:
                await store.append(conn, stream, chunk, start)


async def load_ms(load: Callable[[], Awaitable[object]], rounds: int = 30) -> float:
    """Median ms of `rounds` loads after 3 warm ones (garbage of earlier series collected first:
    a replay of 10,000 events leaves enough to skew the next few milliseconds)."""
    gc.collect()
    for _ in range(3):
        await load()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        await load()
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


async def loads(
    before: ModuleType, pools: tuple[asyncpg.Pool, asyncpg.Pool]
) -> list[tuple[str, float, float]]:
    rows: list[tuple[str, float, float]] = []
    old, new = before.EventStore(), eventstore.EventStore()
    for n in LOAD_SIZES:
        await fill(before, pools[0], f"l-{n}", n, snapshot=False)
        await fill(eventstore, pools[1], f"l-{n}", n, snapshot=False)
        await fill(eventstore, pools[1], f"s-{n}", n, snapshot=True)
        async with pools[0].acquire() as c0, pools[1].acquire() as c1:

            def replaying(c: asyncpg.Connection = c0, s: str = f"l-{n}") -> Awaitable[object]:
                return old.read_stream(c, s)  # type: ignore[no-any-return]

            def loading(c: asyncpg.Connection = c1, s: str = f"l-{n}") -> Awaitable[object]:
                return new.load_states(c, [s], schema=SCHEMA)

            with_snapshot = await load_ms(lambda: loading(s=f"s-{n}"))  # noqa: B023 - awaited in this turn
            no_snapshot = await load_ms(loading)
            replay = await load_ms(replaying)
            state = (await new.load_states(c1, [f"s-{n}"], schema=SCHEMA))[f"s-{n}"]
            assert (state.version, state.snapshot, state.tail) == (n, {"value": n}, [])
        rows += [
            (f"load {n:>6} events: no snapshot   ms", replay, no_snapshot),
            (f"load {n:>6} events: with snapshot ms", replay, with_snapshot),
        ]
    return rows


async def before_after(server_dsn: str, events: int) -> None:
    before = baseline_store()
    server = await asyncpg.connect(database_dsn(server_dsn, "postgres"))
    pools: list[asyncpg.Pool] = []
    try:
        for name in (BEFORE_DB, AFTER_DB):
            await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await server.execute(f'CREATE DATABASE "{name}"')
            pool = await asyncpg.create_pool(database_dsn(server_dsn, name), min_size=8, max_size=8)
            assert pool is not None
            pools.append(pool)
        await migrate(pools[0], before.MIGRATIONS)
        await migrate(pools[1], PLATFORM_MIGRATIONS)
        rows: list[tuple[str, float, float]] = []
        for writers in (1, 8):
            per_writer = max(1, events // writers)
            was = await single_appends(before, pools[0], writers, per_writer)
            now = await single_appends(eventstore, pools[1], writers, per_writer)
            rows += [(f"append 1 event, {writers} writers events/s", was[0], now[0])]
            rows += [(f"append 1 event, {writers} writers p50 ms", was[1], now[1])]
        batches = max(2, events // 100)
        rows.append(
            (
                "append_many 100 streams   events/s",
                await batch_appends(before, pools[0], batches, 100),
                await batch_appends(eventstore, pools[1], batches, 100),
            )
        )
        rows += await loads(before, (pools[0], pools[1]))
    finally:
        for pool in pools:
            await pool.close()
        for name in (BEFORE_DB, AFTER_DB):
            await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await server.close()
    print(f"\nbefore = {BASELINE} (append: 5 round trips; load = read_stream, replay all), after = this tree")
    print(f"{'metric':<44}{'before':>10}{'after':>10}{'after/before':>14}")
    for name, old, new in rows:
        fmt = ".0f" if "events/s" in name else ".2f"
        print(f"{name:<44}{old:>10{fmt}}{new:>10{fmt}}{new / old:>14.2f}")
    snap = {int(name.split()[1]): new for name, _, new in rows if "with snapshot" in name}
    print(f"load with snapshot, 10,000 events / 1 event: {snap[10_000] / snap[1]:.2f}x (target <= 2)")


if __name__ == "__main__":
    import argparse
    import warnings

    from meterbot_localstack import LocalPostgres

    parser = argparse.ArgumentParser(description="event store: session9-start vs this tree")
    parser.add_argument("--events", type=int, default=1000, help="timed single appends per writer count")
    events = parser.parse_args().events
    warnings.filterwarnings("ignore", module="platformdirs")
    with tempfile.TemporaryDirectory(prefix="bench-pg-") as tmp:
        local = LocalPostgres(Path(tmp) / "pgdata", durable=True)
        try:
            asyncio.run(before_after(local.start(), events))
        finally:
            local.stop()
