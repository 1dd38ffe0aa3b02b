"""One readings service per test module, on a broker of its own (fixed topic names stay apart)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from meterbot_contracts.topics import ALL_TOPICS_WITH_DLQ, READINGS_EVENTS
from meterbot_localstack import LocalBroker
from meterbot_platform.broker import ensure_topics
from meterbot_testing.infra import Postgres
from meterbot_testing.service import FixedClock

from .readings_harness import Service, running_readings, utc

# 12:00 in Moscow on 10 March 2025: period 2025-03
START = utc(2025, 3, 10, 9, 0)


@pytest.fixture(scope="module")
def broker() -> Iterator[str]:
    with LocalBroker() as local:
        yield local.bootstrap


@pytest.fixture(scope="module")
async def readings_service(postgres: Postgres, broker: str) -> AsyncIterator[Service]:
    await ensure_topics(broker, ALL_TOPICS_WITH_DLQ, partitions=3)
    async with running_readings(postgres.dsn, broker, FixedClock(START), [READINGS_EVENTS]) as service:
        yield service


@pytest.fixture
def service(readings_service: Service) -> Iterator[Service]:
    """The module's service with its clock back at START after each test."""
    yield readings_service
    readings_service.clock.now = START
