"""The gateway's FastStream subscribers in memory (TestKafkaBroker, no Kafka, no PostgreSQL): the topics and
groups of its wiring, unreadable records parked, types it does not handle skipped by their headers."""

from __future__ import annotations

import pytest
from meterbot_contracts.readings import ReadingSubmitted
from meterbot_contracts.topics import ACCOUNTS_EVENTS, BILLING_EXPORT_EVENTS, IDENTITY_EVENTS, READINGS_EVENTS
from meterbot_testing.in_memory import check_subscribers
from telegram_gateway.main import SPEC

pytestmark = pytest.mark.unit


async def test_subscribers_park_what_they_cannot_read_and_skip_what_is_not_theirs() -> None:
    await check_subscribers(
        SPEC,
        {
            topic: "telegram-gateway"
            for topic in (IDENTITY_EVENTS, ACCOUNTS_EVENTS, READINGS_EVENTS, BILLING_EXPORT_EVENTS)
        },
        not_handled=ReadingSubmitted,
    )
