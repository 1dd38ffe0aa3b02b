"""billing-export's FastStream subscribers in memory (TestKafkaBroker, no Kafka, no PostgreSQL): the topics and
groups of its wiring, unreadable records parked, types it does not handle skipped by their headers."""

from __future__ import annotations

import pytest
from billing_export.main import SPEC
from meterbot_contracts.identity import ResidentErasureRequested
from meterbot_contracts.topics import READINGS_EVENTS
from meterbot_testing.in_memory import check_subscribers

pytestmark = pytest.mark.unit


async def test_subscribers_park_what_they_cannot_read_and_skip_what_is_not_theirs() -> None:
    await check_subscribers(SPEC, {READINGS_EVENTS: "billing-export"}, not_handled=ResidentErasureRequested)
