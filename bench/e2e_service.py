"""Service level for bench/e2e.py: ReadingSubmitted straight onto meterbot.readings.commands at an
offered rate, each timed to the event it caused on meterbot.readings.events (ReadingAccepted, or
ReadingRejected: counted apart); and the limits the results read against: the transport (aiokafka
produce + consume on the same broker) and fsync (single-row inserts, one commit each)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition
from e2e_stack import Stack
from meterbot_contracts import new_envelope
from meterbot_contracts.accounts import AccountLinkRequested
from meterbot_contracts.readings import ReadingSubmitted
from meterbot_contracts.topics import ACCOUNTS_COMMANDS, READINGS_COMMANDS, READINGS_EVENTS
from meterbot_platform.broker import ensure_topics, send_all, send_one

HEADER = "account_number,surname,address,meter_id,meter_type,serial_number,verified_until,last_value,last_value_date"
SERVICE_ACCOUNT, SERVICE_CHAT = 600_000, 900_000_000  # account n: 600000+n, linked to chat 900000000+n
TRANSPORT_TOPIC = "meterbot.bench.transport"


def registry_rows(first_account: int, count: int, surname: str) -> list[str]:
    future = (datetime.now(UTC) + timedelta(days=400)).date().isoformat()
    earlier = (datetime.now(UTC) - timedelta(days=60)).date().isoformat()
    return [
        f'{first_account + n},{surname},"ул. Стендовая, {n}",b{first_account + n},cold_water,'
        f"SN{first_account + n},{future},100,{earlier}"
        for n in range(count)
    ]


def import_registry(stack: Stack, rows: list[str]) -> None:
    path = stack.home / "bench_registry.csv"
    path.write_text("\n".join([HEADER, *rows, ""]), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "meterbot", "registry", "import", str(path)],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise SystemExit(f"registry import failed:\n{done.stdout}{done.stderr}")


async def wait_count(dsn: str, sql: str, target: int, timeout: float) -> int:  # noqa: ASYNC109
    conn = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + timeout
        while (count := int(await conn.fetchval(sql))) < target and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        return count
    finally:
        await conn.close()


async def wait_registered(stack: Stack, first_account: int, count: int, timeout: float = 600) -> None:  # noqa: ASYNC109
    """Until accounts registered accounts first_account.. (the import returns once the registry is
    on Kafka; a link sent before its account is registered is refused as unknown)."""
    sql = (
        "SELECT count(DISTINCT stream_id) FROM events WHERE type = 'AccountRegistered'"
        f" AND stream_id IN (SELECT 'account-' || n FROM generate_series({first_account},"
        f" {first_account + count - 1}) AS n)"
    )
    if (got := await wait_count(stack.dsn("accounts"), sql, count, timeout)) < count:
        raise SystemExit(f"accounts registered {got}/{count} accounts after {timeout:g} s")


async def prepare_meters(stack: Stack, meters: int) -> None:
    """Accounts 600000.. with one meter each (b600000..), each linked to its own chat, known to readings."""
    await asyncio.to_thread(import_registry, stack, registry_rows(SERVICE_ACCOUNT, meters, "Стендов"))
    await wait_registered(stack, SERVICE_ACCOUNT, meters)
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all")
    await producer.start()
    try:
        links = (
            AccountLinkRequested(
                chat_id=SERVICE_CHAT + n, account_number=str(SERVICE_ACCOUNT + n), surname="Стендов"
            )
            for n in range(meters)
        )
        await send_all(producer, ((ACCOUNTS_COMMANDS, c.account_number, new_envelope(c)) for c in links))
    finally:
        await producer.stop()
    readings = stack.dsn("readings")
    linked = f"SELECT count(*) FROM chat_links WHERE chat_id >= {SERVICE_CHAT}"
    known = f"SELECT count(DISTINCT stream_id) FROM events WHERE stream_id LIKE 'meter-b{str(SERVICE_ACCOUNT)[:2]}%'"
    got = await wait_count(readings, linked, meters, 600)
    got_meters = await wait_count(readings, known, meters, 600)
    if got < meters or got_meters < meters:
        raise SystemExit(f"readings knows {got_meters}/{meters} meters and {got}/{meters} links after 600 s")


@dataclass
class Step:
    label: str
    offered: float | None  # messages/s; None: as fast as the producer goes
    sent: int = 0
    answered: int = 0
    rejected: int = 0
    seconds: float = 0.0  # first send -> last answer
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else float("nan")


class Answers:
    """Reads meterbot.readings.events from its end: causation id -> when the answer arrived."""

    def __init__(self, bootstrap: str) -> None:
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=5
        )
        self.arrived: dict[str, tuple[float, str]] = {}
        self.expected: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self.changed = asyncio.Event()

    async def start(self) -> None:
        await self.consumer.start()
        await self.consumer.topics()  # fetches the metadata partitions_for_topic reads
        parts = [
            TopicPartition(READINGS_EVENTS, p)
            for p in self.consumer.partitions_for_topic(READINGS_EVENTS) or ()
        ]
        self.consumer.assign(parts)
        await self.consumer.seek_to_end(*parts)
        self._task = asyncio.create_task(self._read())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.consumer.stop()

    async def drained(self, timeout: float) -> bool:  # noqa: ASYNC109
        """Until every message sent so far was answered (or `timeout`)."""
        deadline = time.perf_counter() + timeout
        while not self.expected <= self.arrived.keys():
            if time.perf_counter() > deadline:
                return False
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), 0.5)
            except TimeoutError:
                pass
        return True

    async def _read(self) -> None:
        while True:
            batches = await self.consumer.getmany(timeout_ms=100, max_records=5000)
            now = time.perf_counter()
            for records in batches.values():
                for record in records:
                    body = json.loads(record.value or b"{}")
                    if body.get("type") in ("ReadingAccepted", "ReadingRejected") and body.get(
                        "causation_id"
                    ):
                        self.arrived[body["causation_id"]] = (now, body["type"])
            if batches:
                self.changed.set()


async def offer(  # noqa: PLR0917
    producer: AIOKafkaProducer,
    answers: Answers,
    step: Step,
    count: int,
    meters: int,
    drain_s: float,
    round_: int,
) -> Step:
    """Send `count` readings at `step.offered`/s over `meters` meters, wait up to `drain_s` after the
    last send for every answer."""
    sent_at: dict[str, float] = {}
    started = time.perf_counter()
    futures = []
    for n in range(count):
        if step.offered:
            due = started + n / step.offered
            if (wait := due - time.perf_counter()) > 0.001:
                await asyncio.sleep(wait)
        meter = n % meters
        # each meter's values never go down: 100 (registry) + the round it is in
        command = ReadingSubmitted(
            chat_id=SERVICE_CHAT + meter,
            account_number=str(SERVICE_ACCOUNT + meter),
            meter_id=f"b{SERVICE_ACCOUNT + meter}",
            raw_value=str(100 + min(round_ + n // meters, 99)),
        )
        envelope = new_envelope(command, correlation_id=str(uuid4()))
        sent_at[str(envelope.message_id)] = time.perf_counter()
        answers.expected.add(str(envelope.message_id))
        futures.append(await send_one(producer, (READINGS_COMMANDS, command.meter_id, envelope)))
    await asyncio.gather(*futures)
    await answers.drained(drain_s)
    step.sent = count
    last = started
    for message_id, at in sent_at.items():
        if message_id in answers.arrived:
            arrived, kind = answers.arrived[message_id]
            step.answered += 1
            step.rejected += kind == "ReadingRejected"
            step.latencies.append(arrived - at)
            last = max(last, arrived)
    step.seconds = (last if step.answered == count else time.perf_counter()) - started
    return step


async def service_level(
    stack: Stack, meters: int, seconds: float, saturation_n: int, drain_s: float
) -> list[Step]:
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all", linger_ms=1)
    answers = Answers(stack.bootstrap)
    await producer.start()
    await answers.start()
    steps: list[Step] = []
    try:
        behind = False
        for round_, rate in enumerate((100, 300, 1000)):
            step = Step(f"offered {rate}/s for {seconds:g} s", rate)
            if behind:
                steps.append(step)  # sent == 0: skipped, the stack fell behind at a lower rate
                continue
            steps.append(
                await offer(producer, answers, step, int(rate * seconds), meters, drain_s, round_ * 3)
            )
            behind = step.answered < step.sent
        if behind:  # the backlog of a step that fell behind drains before the saturation run
            await answers.drained(drain_s * 10)
        step = Step(f"saturation: {saturation_n} at once", None)
        steps.append(await offer(producer, answers, step, saturation_n, meters, drain_s * 3, 20))
    finally:
        await answers.stop()
        await producer.stop()
    return steps


async def transport_limit(bootstrap: str, count: int, paced: int) -> tuple[float, list[float]]:
    """aiokafka alone: `count` messages (a ReadingSubmitted's size) produced and consumed as fast as it
    goes (messages/s), then `paced` at 100/s for the round-trip latency floor."""
    await ensure_topics(bootstrap, [TRANSPORT_TOPIC], partitions=3)
    body = new_envelope(
        ReadingSubmitted(chat_id=1, account_number="600000", meter_id="b600000", raw_value="123")
    ).to_bytes()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=1)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=5)
    await producer.start()
    await consumer.start()
    try:
        parts = [TopicPartition(TRANSPORT_TOPIC, p) for p in range(3)]
        consumer.assign(parts)
        await consumer.seek_to_end(*parts)
        await consumer.getmany(timeout_ms=100)
        received: dict[bytes, float] = {}

        async def read(until: int) -> None:
            while len(received) < until:
                for records in (await consumer.getmany(timeout_ms=100, max_records=5000)).values():
                    now = time.perf_counter()
                    for r in records:
                        received[r.key or b""] = now

        reader = asyncio.create_task(read(count))
        started = time.perf_counter()
        futures = [await producer.send(TRANSPORT_TOPIC, body, key=str(n).encode()) for n in range(count)]
        await asyncio.gather(*futures)
        await asyncio.wait_for(reader, 120)
        rate = count / (max(received.values()) - started)
        received.clear()
        sent_at: dict[bytes, float] = {}
        reader = asyncio.create_task(read(paced))
        begin = time.perf_counter()
        for n in range(paced):
            await asyncio.sleep(max(0.0, begin + n / 100 - time.perf_counter()))
            key = f"p{n}".encode()
            sent_at[key] = time.perf_counter()
            await producer.send(TRANSPORT_TOPIC, body, key=key)
        await asyncio.wait_for(reader, 60)
        return rate, [received[k] - t for k, t in sent_at.items()]
    finally:
        await consumer.stop()
        await producer.stop()


async def fsync_limit(server_dsn: str, seconds: float, connections: int) -> float:
    """Single-row INSERTs, each its own transaction (one commit, one WAL flush), from `connections`
    connections at once: rows/s."""
    admin = await asyncpg.connect(server_dsn)
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = 'bench'"):
            await admin.execute("CREATE DATABASE bench")
    finally:
        await admin.close()
    dsn = server_dsn.rsplit("/", 1)[0] + "/bench"
    setup = await asyncpg.connect(dsn)
    await setup.execute("CREATE TABLE IF NOT EXISTS fsync (id bigserial PRIMARY KEY, body text)")
    await setup.close()

    async def insert_until(deadline: float) -> int:
        conn = await asyncpg.connect(dsn)
        try:
            n = 0
            while time.perf_counter() < deadline:
                await conn.execute("INSERT INTO fsync (body) VALUES ($1)", "x" * 200)
                n += 1
            return n
        finally:
            await conn.close()

    started = time.perf_counter()
    counts = await asyncio.gather(*(insert_until(started + seconds) for _ in range(connections)))
    return sum(counts) / (time.perf_counter() - started)
