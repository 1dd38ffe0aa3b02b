"""One accounts service per test module, run in-process (meterbot_testing.service) against the
session's real PostgreSQL and broker, on a database and consumer groups of its own and with a clock
tests move. Tests keep apart by their own account numbers, chat ids and correlation ids."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator

import pytest
from accounts.domain import SurnameKeyring
from accounts.main import SPEC, make_wire
from meterbot_contracts.topics import ACCOUNTS_COMMANDS, ACCOUNTS_EVENTS, BILLING_REGISTRY_V1
from meterbot_platform.settings import KafkaSettings
from meterbot_testing.infra import Postgres
from meterbot_testing.service import run_in_process

from .accounts_harness import Bus, MovableClock, Service


@pytest.fixture(scope="module")
async def service(postgres: Postgres, kafka_settings: KafkaSettings) -> AsyncIterator[Service]:
    clock = MovableClock()
    keyring = SurnameKeyring("test", b"accounts-integration-test-surname-key!")
    wire = make_wire(clock=clock, group_id=f"accounts-test-{uuid.uuid4().hex[:8]}", keyring=keyring)
    async with run_in_process(dataclasses.replace(SPEC, wire=wire), postgres.dsn, kafka_settings) as running:
        yield Service(running.pool, clock, kafka_settings)


@pytest.fixture(scope="module")
async def bus(service: Service) -> AsyncIterator[Bus]:
    topics = [ACCOUNTS_EVENTS, ACCOUNTS_COMMANDS, BILLING_REGISTRY_V1]
    async with Bus(service.kafka.kafka_bootstrap, topics) as b:
        yield b
