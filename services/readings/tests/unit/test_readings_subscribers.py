"""readings's FastStream subscribers in memory (TestKafkaBroker, no Kafka, no PostgreSQL): the topics and
groups of its wiring, unreadable records parked, types it does not handle skipped by their headers."""

from __future__ import annotations

import pytest
from meterbot_contracts.identity import ResidentErasureRequested
from meterbot_contracts.topics import (
    ACCOUNTS_EVENTS,
    BILLING_EXPORT_EVENTS,
    BILLING_REGISTRY_V1,
    READINGS_COMMANDS,
)
from meterbot_testing.in_memory import check_subscribers
from readings.main import SPEC

pytestmark = pytest.mark.unit


async def test_subscribers_park_what_they_cannot_read_and_skip_what_is_not_theirs() -> None:
    await check_subscribers(
        SPEC,
        {
            READINGS_COMMANDS: "readings",
            ACCOUNTS_EVENTS: "readings",
            BILLING_EXPORT_EVENTS: "readings",
            BILLING_REGISTRY_V1: "readings.registry",
        },
        not_handled=ResidentErasureRequested,
    )
