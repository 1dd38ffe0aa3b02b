"""Running the readings service for a test module: a fresh broker, its own database, a fixed clock;
helpers that play the other services (gateway commands, accounts' links, the billing registry,
billing-export's PeriodClosed) and watch meterbot.readings.events."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import aiohttp
import asyncpg
from faststream.kafka import KafkaBroker
from meterbot_contracts import Envelope, Message, new_envelope
from meterbot_contracts.accounts import AccountLinked, AccountUnlinked
from meterbot_contracts.all import default_registry
from meterbot_contracts.billing import PeriodClosed, RegistryMeter, RegistryRecord
from meterbot_contracts.readings import MeterType, ReadingSubmitted, ReadingWithdrawalRequested
from meterbot_contracts.topics import (
    ACCOUNTS_EVENTS,
    BILLING_EXPORT_EVENTS,
    BILLING_REGISTRY_V1,
    READINGS_COMMANDS,
)
from meterbot_platform.broker import publish_envelope
from meterbot_testing.bus import TopicLog, wait_until
from meterbot_testing.service import FixedClock, run_observed
from readings.main import SPEC, make_wire


@dataclass
class Service:
    url: str
    pool: asyncpg.Pool  # the service's own database
    producer: KafkaBroker
    log: TopicLog
    clock: FixedClock

    async def publish(self, topic: str, message: Message, key: str, **kw: Any) -> Envelope:
        envelope = new_envelope(message, **kw)
        await publish_envelope(self.producer, topic, envelope, key)
        return envelope

    async def republish(self, topic: str, envelope: Envelope, key: str) -> None:
        await publish_envelope(self.producer, topic, envelope, key)

    async def processed(self, envelope: Envelope, consumer: str) -> None:
        """Until `consumer` (the inbox name) has handled the message."""

        async def done() -> bool:
            return bool(
                await self.pool.fetchval(
                    "SELECT EXISTS (SELECT 1 FROM inbox WHERE consumer = $1 AND message_id = $2)",
                    consumer,
                    envelope.message_id,
                )
            )

        await wait_until(done)

    async def answer_to(self, command: Envelope) -> Message:
        """The one event readings answered `command` with (same correlation id, caused by it)."""
        [seen] = await self.log.wait_for(lambda s: s.envelope.correlation_id == command.correlation_id)
        reply = seen.envelope
        assert reply.causation_id == str(command.message_id)
        return default_registry.parse(reply)

    async def get_json(self, path: str) -> Any:
        async with aiohttp.ClientSession() as http, http.get(self.url + path) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()


@contextlib.asynccontextmanager
async def running_readings(
    postgres_dsn: str, bootstrap: str, clock: FixedClock, topics: list[str]
) -> AsyncIterator[Service]:
    async with run_observed(replace(SPEC, wire=make_wire(clock=clock)), postgres_dsn, bootstrap, topics) as s:
        yield Service(s.url, s.pool, s.producer, s.log, clock)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# -- playing the other services --------------------------------------------------------------------


def new_ids() -> tuple[int, str, str]:
    """A chat id, account number and meter id no other test uses."""
    tag = uuid.uuid4().hex[:10]
    return int(tag[:7], 16), f"A{tag}", f"M{tag}"


def registry_meter(
    meter_id: str,
    *,
    last_value: str | None = "250.550",
    verified_until: date | None = date(2030, 1, 1),
    meter_type: MeterType = MeterType.HOT_WATER,
) -> RegistryMeter:
    return RegistryMeter(
        meter_id=meter_id,
        meter_type=meter_type,
        serial_number=f"SN-{meter_id}",
        verified_until=verified_until,
        last_value=None if last_value is None else Decimal(last_value),
        last_value_date=date(2025, 2, 25) if last_value is not None else None,
    )


async def register(service: Service, account: str, *meters: RegistryMeter) -> Envelope:
    record = RegistryRecord(account_number=account, surname="Мамин-Сибиряк", meters=list(meters))
    envelope = await service.publish(BILLING_REGISTRY_V1, record, key=account)
    await service.processed(envelope, "readings:registry")
    return envelope


async def link(service: Service, chat: int, account: str) -> None:
    envelope = await service.publish(
        ACCOUNTS_EVENTS,
        AccountLinked(chat_id=chat, account_number=account, address="ул. Ленина, 1"),
        key=f"account-{account}",
    )
    await service.processed(envelope, "readings:facts")


async def unlink(service: Service, chat: int, account: str) -> None:
    envelope = await service.publish(
        ACCOUNTS_EVENTS, AccountUnlinked(chat_id=chat, account_number=account), key=f"account-{account}"
    )
    await service.processed(envelope, "readings:facts")


async def close_period(service: Service, period: str) -> None:
    closed = PeriodClosed(period=period, closed_at=service.clock.now, readings_count=0)
    envelope = await service.publish(BILLING_EXPORT_EVENTS, closed, key=f"period-{period}")
    await service.processed(envelope, "readings:facts")


async def submit(service: Service, chat: int, account: str, meter_id: str, raw: str) -> Message:
    command = ReadingSubmitted(chat_id=chat, account_number=account, meter_id=meter_id, raw_value=raw)
    envelope = await service.publish(
        READINGS_COMMANDS, command, key=meter_id, correlation_id=f"test-{uuid.uuid4()}"
    )
    return await service.answer_to(envelope)


async def withdraw(service: Service, chat: int, account: str, meter_id: str) -> Message:
    command = ReadingWithdrawalRequested(chat_id=chat, account_number=account, meter_id=meter_id)
    envelope = await service.publish(
        READINGS_COMMANDS, command, key=meter_id, correlation_id=f"test-{uuid.uuid4()}"
    )
    return await service.answer_to(envelope)
