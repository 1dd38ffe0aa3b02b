"""One accounts service per test module, run in-process (run_service) against the session's real
PostgreSQL and broker, on a database and consumer groups of its own and with a clock tests move.
Tests keep apart by their own account numbers, chat ids and correlation ids."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from accounts.main import SPEC, make_wire
from meterbot_contracts.topics import ACCOUNTS_COMMANDS, ACCOUNTS_EVENTS, BILLING_REGISTRY_V1
from meterbot_localstack import free_port
from meterbot_platform.db import database_dsn
from meterbot_platform.runtime import run_service
from meterbot_platform.settings import KafkaSettings
from meterbot_testing.infra import Postgres

from .accounts_harness import Bus, MovableClock, Service, wait_ready


@pytest.fixture(scope="module")
async def service(postgres: Postgres, kafka_settings: KafkaSettings) -> AsyncIterator[Service]:
    suffix = uuid.uuid4().hex[:8]
    clock = MovableClock()
    database = f"accounts_{suffix}"
    spec = dataclasses.replace(
        SPEC, database=database, wire=make_wire(clock=clock, group_id=f"accounts-test-{suffix}")
    )
    port, stop = free_port(), asyncio.Event()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("METERBOT_POSTGRES_DSN", postgres.dsn)
        env.setenv("METERBOT_KAFKA_BOOTSTRAP", kafka_settings.kafka_bootstrap)
        env.setenv("METERBOT_KAFKA_IDEMPOTENT", str(kafka_settings.kafka_idempotent).lower())
        env.setenv("METERBOT_KAFKA_PARTITIONS", str(kafka_settings.kafka_partitions))
        env.setenv("METERBOT_HTTP_HOST", "127.0.0.1")
        env.setenv("METERBOT_HTTP_PORT", str(port))
        task = asyncio.create_task(run_service(spec, stop))
        await wait_ready(port, task)
    pool = await asyncpg.create_pool(database_dsn(postgres.dsn, database), min_size=1, max_size=5)
    assert pool is not None
    try:
        yield Service(pool, clock, kafka_settings)
    finally:
        await pool.close()
        stop.set()
        await task
        admin = await asyncpg.connect(postgres.dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(scope="module")
async def bus(service: Service) -> AsyncIterator[Bus]:
    topics = [ACCOUNTS_EVENTS, ACCOUNTS_COMMANDS, BILLING_REGISTRY_V1]
    async with Bus(service.kafka.kafka_bootstrap, topics) as b:
        yield b
