"""Running billing-export for a test module: a fresh broker, its own database, a fixed clock; helpers
that play readings (ReadingAccepted / ReadingWithdrawn on meterbot.readings.events) and watch the
public topic and meterbot.billing-export.events."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import aiohttp
import asyncpg
from aiokafka import AIOKafkaConsumer
from billing_export.main import SPEC, make_wire
from faststream.kafka import KafkaBroker
from meterbot_contracts import Envelope, Message, new_envelope
from meterbot_contracts.readings import MeterType, ReadingAccepted, ReadingWithdrawn
from meterbot_contracts.topics import READINGS_EVENTS
from meterbot_platform.broker import make_broker, publish_envelope
from meterbot_platform.settings import KafkaSettings
from meterbot_testing.service import run_in_process

CONSUMER = "billing-export:readings"
_periods = (f"{y}-{m:02d}" for y, m in itertools.product(range(2000, 2030), range(1, 13)))


def new_period() -> str:
    """A period no other test of the session uses (all before the fixed clock)."""
    return next(_periods)


@dataclass
class FixedClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class Seen:
    topic: str
    key: str
    envelope: Envelope


@dataclass
class TopicLog:
    bootstrap: str
    topics: list[str]
    seen: list[Seen] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        consumer = AIOKafkaConsumer(
            *self.topics,
            bootstrap_servers=self.bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=f"test-log-{uuid.uuid4().hex[:8]}",
        )
        await consumer.start()

        async def run() -> None:
            try:
                while True:
                    for records in (await consumer.getmany(timeout_ms=100)).values():
                        self.seen += [
                            Seen(r.topic, (r.key or b"").decode(), Envelope.from_bytes(r.value or b""))
                            for r in records
                        ]
            finally:
                await consumer.stop()

        self._task = asyncio.create_task(run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def matching(self, predicate: Callable[[Seen], bool]) -> list[Seen]:
        return [s for s in self.seen if predicate(s)]

    async def wait_for(
        self, predicate: Callable[[Seen], bool], n: int = 1, timeout: float = 20
    ) -> list[Seen]:
        deadline = time.monotonic() + timeout
        while len(found := self.matching(predicate)) < n:
            assert time.monotonic() < deadline, f"{len(found)} of {n} messages on the topics in time"
            await asyncio.sleep(0.02)
        return found


async def wait_until(check: Callable[[], Awaitable[Any]], timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := await check()):
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)
    return result


@dataclass
class Service:
    url: str
    pool: asyncpg.Pool
    producer: KafkaBroker
    log: TopicLog
    clock: FixedClock

    async def publish(self, message: Message, key: str) -> Envelope:
        envelope = new_envelope(message, correlation_id=f"test-{uuid.uuid4()}")
        await self.republish(envelope, key)
        return envelope

    async def republish(self, envelope: Envelope, key: str) -> None:
        await publish_envelope(self.producer, READINGS_EVENTS, envelope, key)

    async def handled(self, envelope: Envelope) -> None:
        async def done() -> bool:
            return bool(
                await self.pool.fetchval(
                    "SELECT EXISTS (SELECT 1 FROM inbox WHERE consumer = $1 AND message_id = $2)",
                    CONSUMER,
                    envelope.message_id,
                )
            )

        await wait_until(done)

    async def http(self, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
        async with aiohttp.ClientSession() as http, http.request(method, self.url + path) as resp:
            return resp.status, dict(resp.headers), await resp.read()


def accepted(
    account: str, meter_id: str, value: int, period: str, *, replaces: UUID | None = None
) -> ReadingAccepted:
    year, month = map(int, period.split("-"))
    return ReadingAccepted(
        reading_id=uuid.uuid4(),
        chat_id=7,
        account_number=account,
        meter_id=meter_id,
        meter_type=MeterType.COLD_WATER,
        value=Decimal(value),
        previous_value=Decimal("250.550"),
        period=period,
        submitted_at=datetime(year, month, 10, 9, 30, 15, 123456, tzinfo=UTC),
        replaces_reading_id=replaces,
    )


def withdrawn(reading: ReadingAccepted) -> ReadingWithdrawn:
    return ReadingWithdrawn(
        reading_id=reading.reading_id,
        chat_id=8,
        account_number=reading.account_number,
        meter_id=reading.meter_id,
        period=reading.period,
    )


def new_ids() -> tuple[str, str]:
    tag = uuid.uuid4().hex[:10]
    return f"A{tag}", f"M{tag}"


@contextlib.asynccontextmanager
async def running_billing_export(
    postgres_dsn: str, bootstrap: str, clock: FixedClock, topics: list[str]
) -> AsyncIterator[Service]:
    kafka = KafkaSettings(kafka_bootstrap=bootstrap, kafka_idempotent=False, kafka_partitions=3)
    async with run_in_process(replace(SPEC, wire=make_wire(clock=clock)), postgres_dsn, kafka) as running:
        producer = make_broker(kafka, "test")
        await producer.start()
        log = TopicLog(bootstrap, topics)
        await log.start()
        try:
            yield Service(running.url, running.pool, producer, log, clock)
        finally:
            await log.stop()
            await producer.stop()
