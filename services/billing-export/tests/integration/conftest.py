"""One billing-export service per test module, on a broker of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest
from meterbot_contracts.topics import ALL_TOPICS_WITH_DLQ, BILLING_EXPORT_EVENTS, BILLING_READINGS_V1
from meterbot_localstack import LocalBroker
from meterbot_platform.broker import ensure_topics
from meterbot_testing.infra import Postgres
from meterbot_testing.service import FixedClock

from .billing_export_harness import Service, running_billing_export

NOW = datetime(2030, 1, 15, 9, tzinfo=UTC)  # every test period (2000-01 .. 2029-12) has begun


@pytest.fixture(scope="module")
def broker() -> Iterator[str]:
    with LocalBroker() as local:
        yield local.bootstrap


@pytest.fixture(scope="module")
async def billing_export(postgres: Postgres, broker: str) -> AsyncIterator[Service]:
    await ensure_topics(broker, ALL_TOPICS_WITH_DLQ, partitions=3)
    topics = [BILLING_READINGS_V1, BILLING_EXPORT_EVENTS]
    async with running_billing_export(postgres.dsn, broker, FixedClock(NOW), topics) as service:
        yield service
