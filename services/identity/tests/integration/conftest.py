"""One identity service per test module, run in-process (meterbot_testing.service) against the
session's real PostgreSQL and broker, on a database and consumer group of its own. Tests keep apart
by their own chat ids and correlation ids."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator

import pytest
from identity.main import SPEC, make_wire
from meterbot_contracts.topics import IDENTITY_EVENTS
from meterbot_platform.settings import KafkaSettings
from meterbot_testing.infra import Postgres
from meterbot_testing.service import run_in_process

from .identity_harness import Bus, Service


@pytest.fixture(scope="module")
async def service(postgres: Postgres, kafka_settings: KafkaSettings) -> AsyncIterator[Service]:
    wire = make_wire(group_id=f"identity-test-{uuid.uuid4().hex[:8]}")
    async with run_in_process(dataclasses.replace(SPEC, wire=wire), postgres.dsn, kafka_settings) as running:
        yield Service(running.pool, kafka_settings)


@pytest.fixture(scope="module")
async def bus(service: Service) -> AsyncIterator[Bus]:
    async with Bus(service.kafka.kafka_bootstrap, [IDENTITY_EVENTS]) as b:
        yield b
