"""Benchmark: streaming a period export of N readings (default 1,000,000) over HTTP and with the CLI.

A fresh database on a throwaway embedded PostgreSQL (or --dsn SERVER_DSN) gets the billing-export
schema; the export view is filled with N rows by COPY; the service's own HTTP routes are served on a
free port (no broker needed: the export reads only PostgreSQL). Then, each timed end to end:

  http csv / http json   GET /exports/{period}.csv|.json read by an aiohttp client, every byte
  cli csv / cli json     `meterbot export` (it only reads) in a subprocess, writing a file
  cursor csv (--compare) the alternative: a server-side cursor with rows formatted by Python's csv
  close                  closing a period whose stream holds --close-events BillingReading events

    .venv/bin/python services/billing-export/bench_export.py [--rows N] [--close-events N] [--compare]

Prints numbers only. The server process's peak RSS is shown before and after streaming: it must not
grow with N (nothing is built in memory)."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import aiohttp
import asyncpg
from aiohttp import web
from billing_export.application.closing import ClosedPeriod, close_period
from billing_export.http import routes
from billing_export.migrations import MIGRATIONS
from billing_export.projections import ExportView
from meterbot_localstack import LocalPostgres, free_port
from meterbot_platform.db import create_pool, database_dsn, ensure_database
from meterbot_platform.eventstore import EventStore
from meterbot_platform.migrations import migrate
from meterbot_platform.projection import ProjectionRunner
from meterbot_platform.runtime import PLATFORM_MIGRATIONS

PERIOD, CLOSE_PERIOD = "2025-03", "2025-04"
TYPES = ("cold_water", "hot_water", "heat", "electricity", "gas")


def rows(n: int) -> Iterator[tuple[object, ...]]:
    """Export lines as a city's registry would give them: ~3 meters per account."""
    start = datetime(2025, 3, 1, tzinfo=UTC)
    for i in range(n):
        yield (
            PERIOD,
            f"M{i:09d}",
            f"{i // 3:08d}",
            TYPES[i % len(TYPES)],
            Decimal(10_000 + i % 90_000),
            start + timedelta(seconds=i % 2_000_000),
            uuid.uuid4(),
        )


async def fill(pool: asyncpg.Pool, n: int) -> float:
    started = time.perf_counter()
    async with pool.acquire() as conn:
        await conn.copy_records_to_table(
            "export_lines",
            records=rows(n),
            columns=[
                "period",
                "meter_id",
                "account_number",
                "meter_type",
                "value",
                "submitted_at",
                "reading_id",
            ],
        )
        await conn.execute("ANALYZE export_lines")
    return time.perf_counter() - started


async def fill_close_events(pool: asyncpg.Pool, n: int) -> float:
    """n BillingReading events in one period stream, straight into the events table."""
    started = time.perf_counter()
    await pool.execute(
        """
        INSERT INTO events (stream_id, stream_version, type, schema_version, data, metadata)
        SELECT $1, g, 'BillingReading', 1,
               jsonb_build_object('reading_id', gen_random_uuid(), 'status', 'accepted',
                   'account_number', lpad((g / 3)::text, 8, '0'), 'meter_id', 'M' || lpad(g::text, 9, '0'),
                   'meter_type', 'hot_water', 'value', (10000 + g % 90000)::text, 'period', $2::text,
                   'submitted_at', '2025-04-10T09:00:00Z', 'replaces_reading_id', null),
               jsonb_build_object('message_id', gen_random_uuid(), 'correlation_id', 'bench',
                   'causation_id', null, 'occurred_at', '2025-04-10T09:00:00+00:00')
        FROM generate_series(1, $3::int) AS g
        """,
        f"period-{CLOSE_PERIOD}",
        CLOSE_PERIOD,
        n,
    )
    await pool.execute(  # the version the event store checks appends against
        "INSERT INTO streams (stream_id, version, last_transaction_id) VALUES ($1, $2, pg_current_xact_id())",
        f"period-{CLOSE_PERIOD}",
        n,
    )
    await pool.execute("ANALYZE events")
    return time.perf_counter() - started


async def http_get(url: str) -> tuple[int, int, float]:
    """(bytes, lines, seconds) of one download, read as it streams."""
    size = lines = 0
    started = time.perf_counter()
    timeout = aiohttp.ClientTimeout(total=None, sock_read=120)
    async with aiohttp.ClientSession(timeout=timeout) as http, http.get(url) as resp:
        resp.raise_for_status()
        async for chunk in resp.content.iter_chunked(1 << 20):
            size += len(chunk)
            lines += chunk.count(b"\n")
    return size, lines, time.perf_counter() - started


async def cli(url: str, fmt: str, out: Path) -> float:
    env = {**os.environ, "METERBOT_BILLING_EXPORT_URL": url}
    argv = ["--period", PERIOD, "--format", fmt, "--output", str(out)]
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "meterbot.commands.export", *argv, env=env, stderr=subprocess.PIPE
    )
    _, err = await proc.communicate()
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"meterbot export failed: {err.decode()}")
    return seconds


async def cursor_csv(pool: asyncpg.Pool) -> tuple[int, float]:
    """The road not taken: a server-side cursor, rows formatted by Python (bytes, seconds)."""
    size = 0
    started = time.perf_counter()
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        query = (
            "SELECT account_number, meter_id, meter_type, value, period, submitted_at, reading_id"
            " FROM export_lines WHERE period = $1 ORDER BY account_number, meter_id"
        )
        async for row in conn.cursor(query, PERIOD, prefetch=10_000):
            writer.writerow(
                (
                    row[0],
                    row[1],
                    row[2],
                    row[3],
                    row[4],
                    row[5].astimezone(UTC).isoformat().replace("+00:00", "Z"),
                    row[6],
                )
            )
            if buffer.tell() > 1 << 16:
                size += len(buffer.getvalue().encode())
                buffer.seek(0)
                buffer.truncate()
        size += len(buffer.getvalue().encode())
    return size, time.perf_counter() - started


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(label: str, n: int, seconds: float, size: int | None = None) -> None:
    extra = f"  {size / 1e6:7.1f} MB  {size / 1e6 / seconds:6.0f} MB/s" if size else ""
    print(f"{label:<22} {n:>9} rows  {seconds:7.2f} s  {n / seconds:>10,.0f} rows/s{extra}")


async def bench(server_dsn: str, n: int, close_events: int, compare: bool) -> None:
    database = f"bench_export_{uuid.uuid4().hex[:8]}"
    await ensure_database(server_dsn, database)
    pool = await create_pool(database_dsn(server_dsn, database), 2, 8)
    try:
        await migrate(pool, (*PLATFORM_MIGRATIONS, *MIGRATIONS))
        report("fill (COPY)", n, await fill(pool, n))

        async def close(period: str, correlation_id: str, force: bool) -> ClosedPeriod:
            return await close_period(
                pool,
                EventStore(),
                period,
                now=datetime.now(UTC),
                current_period="9999-12",
                correlation_id=correlation_id,
                force=force,
            )

        view = ProjectionRunner(pool, ExportView(), service="bench")
        app = web.Application()
        app.add_routes(routes(pool, view, close))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        url = f"http://127.0.0.1:{port}"
        print(f"server peak RSS before streaming: {peak_rss_mb():.0f} MB")
        for fmt in ("csv", "json"):
            size, lines, seconds = await http_get(f"{url}/exports/{PERIOD}.{fmt}")
            assert lines == n + 1 if fmt == "csv" else lines == n + 2, (fmt, lines)
            report(f"http {fmt}", n, seconds, size)
        with tempfile.TemporaryDirectory() as tmp:
            for fmt in ("csv", "json"):
                out = Path(tmp) / f"export.{fmt}"
                seconds = await cli(url, fmt, out)
                report(f"cli {fmt} (to a file)", n, seconds, out.stat().st_size)
        print(f"server peak RSS after streaming:  {peak_rss_mb():.0f} MB")
        if compare:
            size, seconds = await cursor_csv(pool)
            report("cursor csv (python)", n, seconds, size)
        await runner.cleanup()
        if close_events:
            report("fill close events", close_events, await fill_close_events(pool, close_events))
            started = time.perf_counter()
            closed = await close_period(
                pool,
                EventStore(),
                CLOSE_PERIOD,
                now=datetime.now(UTC),
                current_period="9999-12",
                correlation_id="bench",
            )
            assert closed.closed.readings_count == close_events
            report("close period", close_events, time.perf_counter() - started)
    finally:
        await pool.close()
        admin = await asyncpg.connect(database_dsn(server_dsn, "postgres"))
        await admin.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--close-events", type=int, default=100_000, help="0 skips the close benchmark")
    parser.add_argument("--compare", action="store_true", help="also time a Python cursor-based CSV")
    parser.add_argument("--dsn", help="a PostgreSQL server DSN (default: a throwaway embedded server)")
    args = parser.parse_args()
    if args.dsn:
        asyncio.run(bench(args.dsn, args.rows, args.close_events, args.compare))
        return
    with tempfile.TemporaryDirectory() as tmp:
        server = LocalPostgres(Path(tmp) / "pgdata", durable=False)
        server.start()
        try:
            asyncio.run(bench(server.dsn, args.rows, args.close_events, args.compare))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
