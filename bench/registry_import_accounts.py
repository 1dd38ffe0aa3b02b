"""Measurement: `meterbot registry import` of a 100k-row CSV end to end.

Generates a registry of 35,000 accounts with 2-3 meters each (100,000 rows), starts an accounts
service in this process (run_service with a stop event, its own fresh database) and times:
  1. publish: `meterbot registry import` (its own process) reading the file and publishing every
              record, until the broker acknowledged all;
  2. apply:   from the start of the import until accounts applied every record (inbox rows);
  3. relay:   until the outbox relay published every AccountRegistered to meterbot.accounts.events;
then imports the same file again (idempotent: no new event) and times that too. CPU seconds of the
service and of the CLI are printed too: on a shared machine they vary less than wall times.

Embedded PostgreSQL and the local tansu broker by default; --dsn / --bootstrap use running ones.

    .venv/bin/python bench/registry_import_accounts.py [--accounts N] [--dsn ...] [--bootstrap ...]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
from accounts.main import SPEC
from meterbot_localstack import LocalBroker, LocalPostgres, free_port
from meterbot_platform.db import database_dsn
from meterbot_platform.runtime import run_service
from meterbot_platform.settings import KafkaSettings

from meterbot.registry_csv import REGISTRY_HEADER

HEADER = ",".join(REGISTRY_HEADER)
TYPES = ("cold_water", "hot_water", "electricity")
# the command as `meterbot registry import` runs it (without depending on cli.COMMAND_MODULES)
CLI = (
    "import argparse, sys; from meterbot.commands import registry; p = argparse.ArgumentParser();"
    " registry.register(p.add_subparsers()); a = p.parse_args(); sys.exit(a.func(a))"
)


def write_registry(path: Path, accounts: int, rows: int) -> int:
    """`accounts` accounts with 3 meters, fewer for the last ones so the file has `rows` rows."""
    three = max(min(rows - 2 * accounts, accounts), 0)
    written = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(HEADER + "\n")
        for n in range(accounts):
            number = f"{7_000_000 + n}"
            surname = ("Мамин-Сибиряк", "Ёлкина", "Иванов", "Петрова")[n % 4]
            address = f'"ул. Ленина, д. {n % 200 + 1}, кв. {n % 150 + 1}"'
            for m in range(3 if n < three else 2):
                f.write(
                    f"{number},{surname},{address},{number}-{m},{TYPES[m]},SN{n}-{m},"
                    f"2031-12-31,{n % 1000}.{m}50,2026-09-30\n"
                )
                written += 1
    return written


@contextlib.contextmanager
def infrastructure(args: argparse.Namespace, workdir: Path) -> Iterator[tuple[str, KafkaSettings]]:
    with contextlib.ExitStack() as stack:
        dsn = args.dsn
        if dsn is None:
            server = LocalPostgres(workdir / "pgdata", durable=False)
            server.start()
            stack.callback(server.stop)
            dsn = server.dsn
        bootstrap, idempotent = args.bootstrap, args.idempotent
        if bootstrap is None:
            broker = stack.enter_context(LocalBroker())
            bootstrap, idempotent = broker.bootstrap, False
        yield dsn, KafkaSettings(kafka_bootstrap=bootstrap, kafka_idempotent=idempotent)


async def count(dsn: str, sql: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()


async def wait_for(dsn: str, sql: str, expected: int, timeout: float = 600) -> float:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while (value := await count(dsn, sql)) < expected:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{sql}: {value} of {expected}")
        await asyncio.sleep(0.05)
    return time.monotonic()


async def wait_ready(port: int, task: asyncio.Task[None], timeout: float = 120) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if task.done():
            task.result()
        with contextlib.suppress(OSError):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /readyz HTTP/1.0\r\n\r\n")
            status = await reader.readline()
            writer.close()
            if b" 200 " in status:
                return
        await asyncio.sleep(0.1)
    raise TimeoutError("accounts service not ready")


async def cli_import(path: Path) -> None:
    """`meterbot registry import FILE` in its own process, as typed in another terminal."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CLI, "registry", "import", str(path), stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0, out.decode()


async def one_import(
    path: Path, db: str, inbox_before: int, records: int, events_expected: int
) -> dict[str, float]:
    started, cpu = time.monotonic(), _cpu()
    await cli_import(path)
    published = time.monotonic()
    applied = await wait_for(
        db, "SELECT count(*) FROM inbox WHERE consumer = 'accounts:registry'", inbox_before + records
    )
    events = await count(db, "SELECT count(*) FROM events")
    assert events == events_expected, f"{events} events, expected {events_expected}"
    relayed = await wait_for(
        db,
        "SELECT CASE WHEN (SELECT position FROM checkpoints WHERE name = 'outbox')"
        " >= (SELECT coalesce(max(position), 0) FROM events) THEN 1 ELSE 0 END",
        1,
    )
    used = {k: v - cpu[k] for k, v in _cpu().items()}
    return {"publish": published - started, "apply": applied - started, "relay": relayed - started, **used}


def _cpu() -> dict[str, float]:
    """CPU seconds (user + system) of the service (this process) and of the CLI (children): the
    machine is shared, so wall times vary with the load; these do not."""
    service, cli = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"cpu service": service.ru_utime + service.ru_stime, "cpu cli": cli.ru_utime + cli.ru_stime}


async def bench(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp, infrastructure(args, Path(tmp)) as (dsn, kafka):
        path = Path(tmp) / "registry.csv"
        rows = write_registry(path, args.accounts, args.rows)
        print(f"registry: {rows} rows, {args.accounts} accounts, {path.stat().st_size / 1e6:.1f} MB")
        database = f"accounts_bench_{os.getpid()}"
        port = free_port()
        os.environ.update(
            {
                "METERBOT_POSTGRES_DSN": dsn,
                "METERBOT_KAFKA_BOOTSTRAP": kafka.kafka_bootstrap,
                "METERBOT_KAFKA_IDEMPOTENT": str(kafka.kafka_idempotent).lower(),
                "METERBOT_HTTP_PORT": str(port),
                "METERBOT_HTTP_HOST": "127.0.0.1",
                "METERBOT_LOG_LEVEL": "WARNING",
            }
        )
        os.environ.setdefault("METERBOT_SURNAME_KEY", "bench-only-surname-key-" + "0" * 16)  # required
        if not kafka.kafka_idempotent:  # tansu holds every fetch for its full max wait (as `meterbot up`)
            os.environ.setdefault("METERBOT_KAFKA_FETCH_MAX_WAIT_MS", "10")
        stop = asyncio.Event()
        service = asyncio.create_task(run_service(dataclasses.replace(SPEC, database=database), stop))
        try:
            await wait_ready(port, service)
            db = database_dsn(dsn, database)
            # warm-up: one account, so the consumer group has joined before the clock starts
            warm = Path(tmp) / "warm.csv"
            warm.write_text(f"{HEADER}\n999999999999,Иванов,,,,,,,\n", encoding="utf-8")
            await one_import(warm, db, 0, 1, 1)
            first = await one_import(path, db, 1, args.accounts, args.accounts + 1)
            print("first import:  " + "  ".join(f"{k} {v:6.2f} s" for k, v in first.items()))
            again = await one_import(path, db, args.accounts + 1, args.accounts, args.accounts + 1)
            print(
                "second import: "
                + "  ".join(f"{k} {v:6.2f} s" for k, v in again.items())
                + "  (no new events)"
            )
        finally:
            stop.set()
            await service


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=35_000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--dsn", help="PostgreSQL server DSN (default: an embedded throwaway server)")
    parser.add_argument("--bootstrap", help="Kafka bootstrap (default: a local tansu broker)")
    parser.add_argument("--idempotent", action="store_true", help="the broker supports idempotent producers")
    asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    main()
