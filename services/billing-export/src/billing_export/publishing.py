"""One outbox relay, two topics: the store is read once in commit order and each event goes where it
belongs, so the relay's ordering guarantee holds for both (per key, in commit order, at least once).

    BillingReading -> meterbot.billing.readings.v1   key: account number (public, fixed)
    anything else  -> meterbot.billing-export.events  key: stream id (PeriodClosed, for readings)"""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from meterbot_contracts.billing import BillingReading
from meterbot_contracts.topics import BILLING_EXPORT_EVENTS, BILLING_READINGS_V1
from meterbot_platform.broker import send_all
from meterbot_platform.eventstore import RecordedEvent
from meterbot_platform.outbox import PublishBatch


def route(event: RecordedEvent) -> tuple[str, str]:
    """(topic, key) of a recorded event."""
    if event.type == BillingReading.TYPE:
        return BILLING_READINGS_V1, str(event.data["account_number"])
    return BILLING_EXPORT_EVENTS, event.stream_id


def routing_publisher(producer: AIOKafkaProducer) -> PublishBatch:
    async def publish(events: Sequence[RecordedEvent]) -> None:
        await send_all(producer, ((*route(e), e.to_envelope()) for e in events))

    return publish
