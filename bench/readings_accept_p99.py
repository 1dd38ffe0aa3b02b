"""Probe (issue 19): the readings service in-process (run_service, as in production) on a throwaway
PostgreSQL and tansu broker; a registry of --meters meters, each linked to a chat; then --rate
ReadingSubmitted/s onto meterbot.readings.commands for --seconds, each timed from its send to the
event it caused on meterbot.readings.events (ReadingAccepted; any other answer counted apart).

    .venv/bin/python bench/readings_accept_p99.py [--rate 300] [--seconds 10] [--meters 300] [--shared-pool] [--fetch-wait 50]

--shared-pool runs projections and the outbox relay on the main pool (the behaviour before reader
connections: their transactions then hold back the horizon). Prints numbers and the load average."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from meterbot_contracts import Envelope, Message, new_envelope
from meterbot_contracts.accounts import AccountLinked
from meterbot_contracts.billing import RegistryMeter, RegistryRecord
from meterbot_contracts.readings import MeterType, ReadingSubmitted
from meterbot_contracts.topics import (
    ACCOUNTS_EVENTS,
    ALL_TOPICS_WITH_DLQ,
    BILLING_REGISTRY_V1,
    READINGS_COMMANDS,
    READINGS_EVENTS,
)
from meterbot_localstack import LocalBroker
from meterbot_platform.broker import ensure_topics, send_one
from meterbot_platform.eventstore_sql import HORIZON
from meterbot_platform.runtime import Runtime
from meterbot_platform.settings import KafkaSettings
from meterbot_testing.infra import postgres_server
from meterbot_testing.service import run_in_process
from readings.main import SPEC, make_wire


async def send(producer: AIOKafkaProducer, topic: str, message: Message, key: str) -> Envelope:
    envelope = new_envelope(message, correlation_id=f"probe-{uuid4()}")
    await send_one(producer, (topic, key, envelope))
    return envelope


async def wait_rows(service_pool: asyncpg.Pool, sql: str, target: int, timeout: float = 300) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while int(await service_pool.fetchval(sql)) < target:
        if time.monotonic() > deadline:
            raise SystemExit(f"setup: {sql} did not reach {target}")
        await asyncio.sleep(0.2)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def register_and_link(producer: AIOKafkaProducer, pool: asyncpg.Pool, meters: int) -> None:
    """Meters pm0.. (accounts P0..), each linked to chat 700000+n; until readings handled all."""
    earlier = (datetime.now(UTC) - timedelta(days=40)).date()
    for n in range(meters):
        meter = RegistryMeter(
            meter_id=f"pm{n}",
            meter_type=MeterType.COLD_WATER,
            serial_number=f"SN{n}",
            verified_until=date(2035, 1, 1),
            last_value=Decimal(100),
            last_value_date=earlier,
        )
        record = RegistryRecord(account_number=f"P{n}", surname="Пробов", meters=[meter])
        await send(producer, BILLING_REGISTRY_V1, record, f"P{n}")
    for n in range(meters):
        linked = AccountLinked(chat_id=700_000 + n, account_number=f"P{n}", address="ул. Пробная, 1")
        await send(producer, ACCOUNTS_EVENTS, linked, f"account-P{n}")
    await producer.flush()
    await wait_rows(pool, "SELECT count(*) FROM inbox WHERE consumer = 'readings:facts'", meters)
    await wait_rows(
        pool,
        "SELECT count(*) FROM inbox WHERE consumer = 'readings:registry'",
        meters,
    )


# Who holds the commit-order horizon back right now, and for how long (eventstore_sql.HORIZON; a
# cut at the snapshot's xmax holds nothing back).
HOLDER = f"""
WITH {HORIZON}
SELECT a.application_name, extract(epoch FROM now() - a.xact_start)::float8 AS held
FROM pg_stat_activity a, horizon
WHERE a.backend_xid = horizon.cut::xid AND horizon.cut < pg_snapshot_xmax(pg_current_snapshot())
"""


async def watch_horizon(pool: asyncpg.Pool, held: Counter[str]) -> None:
    """Every 20 ms: tally the holder's application_name when held over 50 ms."""
    while True:
        row = await pool.fetchrow(HOLDER)
        if row is not None and row["held"] > 0.05:
            held[row["application_name"] or "(main pool)"] += 1
        await asyncio.sleep(0.02)


async def offer(
    producer: AIOKafkaProducer,
    answers: dict[str, tuple[float, str]],
    args: argparse.Namespace,
    decided: dict[str, float],
) -> None:
    """Commands at the rate, open loop; then the latency of each to its answer, printed."""
    sent: dict[str, float] = {}
    total = int(args.rate * args.seconds)
    start = time.monotonic()
    for i in range(total):
        due = start + i / args.rate
        if (delay := due - time.monotonic()) > 0:
            await asyncio.sleep(delay)
        n = i % args.meters
        command = ReadingSubmitted(
            chat_id=700_000 + n,
            account_number=f"P{n}",
            meter_id=f"pm{n}",
            raw_value=str(101 + i // args.meters),
        )
        envelope = new_envelope(command, correlation_id=f"probe-{uuid4()}")
        sent[envelope.correlation_id] = due  # open loop: timed from when it was due
        await send_one(producer, (READINGS_COMMANDS, f"pm{n}", envelope))
    offered = total / (time.monotonic() - start)
    deadline = time.monotonic() + 60
    while sum(c in answers for c in sent) < total and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    latencies = [(answers[c][0] - t) * 1000 for c, t in sent.items() if c in answers]
    kinds = Counter(answers[c][1] for c in sent if c in answers)
    print(
        f"{'shared pool (before)' if args.shared_pool else 'reader pool (after)'}:"
        f" offered {offered:.0f}/s for {args.seconds:.0f} s, {len(latencies)}/{total} answered {dict(kinds)}"
    )
    for p in (50, 90, 99, 99.9):
        print(f"  p{p}: {percentile(latencies, p):.0f} ms")
    steady = [(answers[c][0] - t) * 1000 for c, t in sent.items() if c in answers and t > start + 2]
    print(f"  p99 after the first 2 s: {percentile(steady, 99):.0f} ms")
    # where the time goes: due -> the handler's decision (the answer's occurred_at: the command's
    # fetch, its poll's queue and handling) and decision -> the answer read back (commit, NOTIFY, the
    # relay's read and publish, the answer's fetch); one clock: the service runs in this process
    wall = time.time() - time.monotonic()
    split = [
        ((decided[c] - wall - t) * 1000, (answers[c][0] - decided[c] + wall) * 1000)
        for c, t in sent.items()
        if c in answers and c in decided
    ]
    for name, part in (
        ("due -> decided", [a for a, _ in split]),
        ("decided -> read back", [b for _, b in split]),
    ):
        print(f"  {name}: p50 {percentile(part, 50):.0f} ms, p99 {percentile(part, 99):.0f} ms")
    print(f"  max: {max(latencies):.0f} ms; loadavg {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


async def probe(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="meterbot-probe-"))
    with postgres_server(workdir) as pg, LocalBroker() as broker:
        await ensure_topics(broker.bootstrap, ALL_TOPICS_WITH_DLQ, partitions=3)
        kafka = KafkaSettings(
            kafka_bootstrap=broker.bootstrap,
            kafka_idempotent=False,
            kafka_partitions=3,
            kafka_fetch_max_wait_ms=args.fetch_wait,
        )
        readings_wire = make_wire()

        async def wire(runtime: Runtime) -> None:
            if args.shared_pool:
                runtime.reader_pool = None  # projections and relay on the main pool, as before
            await readings_wire(runtime)

        async with run_in_process(dataclasses.replace(SPEC, wire=wire), pg.dsn, kafka) as service:
            producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, linger_ms=1)
            await producer.start()
            answers: dict[str, tuple[float, str]] = {}
            decided: dict[str, float] = {}  # correlation id -> the answer's occurred_at (wall clock)
            consumer = AIOKafkaConsumer(
                READINGS_EVENTS, bootstrap_servers=broker.bootstrap, fetch_max_wait_ms=10
            )
            await consumer.start()

            async def read() -> None:
                while True:
                    for records in (await consumer.getmany(timeout_ms=100)).values():
                        now = time.monotonic()
                        for record in records:
                            envelope = Envelope.from_bytes(record.value or b"")
                            answers.setdefault(envelope.correlation_id, (now, envelope.type))
                            decided.setdefault(envelope.correlation_id, envelope.occurred_at.timestamp())

            reading = asyncio.create_task(read())
            try:
                await register_and_link(producer, service.pool, args.meters)
                await asyncio.sleep(2)  # the setup's events through the relay and the views
                held: Counter[str] = Counter()
                watching = asyncio.create_task(watch_horizon(service.pool, held))
                await offer(producer, answers, args, decided)
                watching.cancel()
                print(f"  horizon held > 50 ms (20 ms samples, by holder): {dict(held)}")
            finally:
                reading.cancel()
                await asyncio.gather(reading, return_exceptions=True)
                await consumer.stop()
                await producer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=300)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--meters", type=int, default=300)
    parser.add_argument("--shared-pool", action="store_true")
    parser.add_argument(
        "--fetch-wait", type=int, default=50, help="the consumers' fetch max wait (ms); `meterbot up` sets 50"
    )
    os.environ.setdefault("METERBOT_LOG_LEVEL", "WARNING")
    asyncio.run(probe(parser.parse_args()))


if __name__ == "__main__":
    main()
