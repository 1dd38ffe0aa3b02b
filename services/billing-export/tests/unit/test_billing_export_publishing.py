"""Where the one outbox relay sends each recorded event."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from billing_export.publishing import route
from meterbot_contracts.topics import BILLING_EXPORT_EVENTS, BILLING_READINGS_V1
from meterbot_platform.eventstore import RecordedEvent

pytestmark = pytest.mark.unit
AT = datetime(2025, 3, 10, tzinfo=UTC)


def recorded(type_: str, data: dict[str, object]) -> RecordedEvent:
    return RecordedEvent(
        position=1,
        transaction_id=1,
        stream_id="period-2025-03",
        stream_version=1,
        type=type_,
        version=1,
        data=data,
        message_id=uuid4(),
        correlation_id="c",
        causation_id=None,
        occurred_at=AT,
        recorded_at=AT,
    )


def test_billing_readings_go_to_the_public_topic_keyed_by_account() -> None:
    assert route(recorded("BillingReading", {"account_number": "1234567"})) == (
        BILLING_READINGS_V1,
        "1234567",
    )


def test_period_closed_goes_to_the_service_events_keyed_by_stream() -> None:
    assert route(recorded("PeriodClosed", {"period": "2025-03"})) == (BILLING_EXPORT_EVENTS, "period-2025-03")
