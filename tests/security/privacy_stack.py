"""The whole flow in one process for security tests: identity, accounts, readings and billing-export
as in production (run_in_process), the gateway, and the local Telegram Bot API server, on the
session's PostgreSQL and broker under the fixed topic names. Plus the two ways to look for personal
data afterwards: every table of every service database, and every record of every topic."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import sys
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import asyncpg
from accounts.domain import SurnameKeyring
from accounts.main import SPEC as ACCOUNTS
from accounts.main import make_wire as accounts_wire
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from billing_export.main import SPEC as BILLING_EXPORT
from identity.main import SPEC as IDENTITY
from identity.main import make_wire as identity_wire
from meterbot_botapi import BotApiServer
from meterbot_contracts import Message, new_envelope
from meterbot_contracts.topics import ALL_TOPICS_WITH_DLQ
from meterbot_platform.broker import ensure_topics
from meterbot_platform.settings import KafkaSettings
from meterbot_testing.service import InProcessService, run_in_process
from readings.main import SPEC as READINGS
from telegram_gateway.settings import GatewaySettings
from telegram_gateway.topics import GatewayTopics


def _gateway_harness() -> Any:
    """The gateway's in-process harness lives with the gateway's integration tests; loaded by path
    (test folders are not packages)."""
    path = Path(__file__).parents[2] / "services/telegram-gateway/tests/integration/gateway_harness.py"
    spec = importlib.util.spec_from_file_location("gateway_harness_for_security_tests", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


_harness = _gateway_harness()
GatewayHarness, fresh_database = _harness.GatewayHarness, _harness.fresh_database
TOKEN = "777002:privacy-test-token"
SURNAME_KEYRING = SurnameKeyring("privacy-test", b"privacy-test-surname-key-0123456789")


@dataclass
class Stack:
    botapi: BotApiServer
    gateway: Any  # GatewayHarness
    services: dict[str, InProcessService] = field(default_factory=dict)

    def pools(self) -> dict[str, asyncpg.Pool]:
        return {"gateway": self.gateway.pool, **{n: s.pool for n, s in self.services.items()}}


@contextlib.asynccontextmanager
async def privacy_stack(postgres_dsn: str, kafka: KafkaSettings) -> AsyncIterator[Stack]:
    await ensure_topics(kafka.kafka_bootstrap, ALL_TOPICS_WITH_DLQ, partitions=kafka.kafka_partitions)
    suffix = uuid.uuid4().hex[:8]
    specs = {
        "identity": replace(IDENTITY, wire=identity_wire(group_id=f"identity-{suffix}")),
        "accounts": replace(
            ACCOUNTS, wire=accounts_wire(group_id=f"accounts-{suffix}", keyring=SURNAME_KEYRING)
        ),
        "readings": READINGS,
        "billing_export": BILLING_EXPORT,
    }
    async with contextlib.AsyncExitStack() as stack:
        services = {
            name: await stack.enter_async_context(run_in_process(spec, postgres_dsn, kafka))
            for name, spec in specs.items()
        }
        botapi = await stack.enter_async_context(BotApiServer(host="127.0.0.1", port=0))
        pool = await stack.enter_async_context(fresh_database(postgres_dsn))
        gateway = GatewayHarness(
            pool,
            kafka,
            botapi.base_url,
            TOKEN,
            GatewayTopics(),
            group_id=f"gw-{suffix}",
            settings=GatewaySettings(gateway_reply_timeout=20.0, gateway_rate_limit_messages=10_000),
        )
        await stack.enter_async_context(gateway)
        yield Stack(botapi, gateway, services)


async def publish(bootstrap: str, topic: str, message: Message, key: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, new_envelope(message).to_bytes(), key=key.encode())
    finally:
        await producer.stop()


def spellings(value: str) -> list[bytes]:
    """How a value may sit in bytes: as UTF-8 and JSON-escaped (ensure_ascii)."""
    return [value.encode(), json.dumps(value)[1:-1].encode()]


async def tables_holding(pools: dict[str, asyncpg.Pool], values: Iterable[str]) -> list[str]:
    """`database.table` for every table row whose text form contains one of `values`."""
    needles = [v.casefold() for v in values]
    found = []
    for database, pool in pools.items():
        tables = await pool.fetch(
            "SELECT quote_ident(table_name) AS t FROM information_schema.tables"
            " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
        for row in tables:
            texts = await pool.fetch(f"SELECT lower(x::text) AS text FROM {row['t']} x")
            if any(n in r["text"] for r in texts for n in needles):
                found.append(f"{database}.{row['t']}")
    return found


async def topics_holding(bootstrap: str, values: Iterable[str]) -> dict[str, int]:
    """Topic -> how many records (key, value or headers) contain one of `values`, read from the
    beginning to the end offsets of every topic on the broker."""
    needles = [s for v in values for s in spellings(v)]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    found: dict[str, int] = {}
    try:
        partitions = [
            TopicPartition(t, p)
            for t in await consumer.topics()
            for p in consumer.partitions_for_topic(t) or ()
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        left = {tp for tp in partitions if ends[tp] > 0}
        while left:
            batch = await consumer.getmany(timeout_ms=500)
            for tp, records in batch.items():
                for record in records:
                    blob = b"".join([record.key or b"", record.value or b"", *(v for _, v in record.headers)])
                    if any(n in blob for n in needles):
                        found[tp.topic] = found.get(tp.topic, 0) + 1
                if records and records[-1].offset + 1 >= ends[tp]:
                    left.discard(tp)
            for tp in list(left):
                if await consumer.position(tp) >= ends[tp]:
                    left.discard(tp)
    finally:
        await consumer.stop()
    return found
