"""Running billing-export for a test module: a fresh broker, its own database, a fixed clock; helpers
that play readings (ReadingAccepted / ReadingWithdrawn on meterbot.readings.events) and watch the
public topic and meterbot.billing-export.events."""

from __future__ import annotations

import contextlib
import itertools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

import aiohttp
import asyncpg
from billing_export.main import SPEC, make_wire
from faststream.kafka import KafkaBroker
from meterbot_contracts import Envelope, Message, new_envelope
from meterbot_contracts.readings import MeterType, ReadingAccepted, ReadingWithdrawn
from meterbot_contracts.topics import READINGS_EVENTS
from meterbot_platform.broker import publish_envelope
from meterbot_testing.bus import TopicLog, wait_until
from meterbot_testing.service import FixedClock, run_observed

CONSUMER = "billing-export:readings"
_periods = (f"{y}-{m:02d}" for y, m in itertools.product(range(2000, 2030), range(1, 13)))


def new_period() -> str:
    """A period no other test of the session uses (all before the fixed clock)."""
    return next(_periods)


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
    async with run_observed(replace(SPEC, wire=make_wire(clock=clock)), postgres_dsn, bootstrap, topics) as s:
        yield Service(s.url, s.pool, s.producer, s.log, clock)
