"""One outbox relay, two topics: the store is read once in commit order and each event goes where it
belongs, so the relay's ordering guarantee holds for both (per key, in commit order, at least once).

    BillingReading -> meterbot.billing.readings.v1   key: account number (public, fixed)
    anything else  -> meterbot.billing-export.events  key: stream id (PeriodClosed, for readings)"""

from __future__ import annotations

from collections.abc import Sequence

from faststream.kafka import KafkaBroker
from meterbot_contracts import Envelope
from meterbot_contracts.billing import BillingReading
from meterbot_contracts.topics import BILLING_EXPORT_EVENTS, BILLING_READINGS_V1
from meterbot_platform.eventstore import RecordedEvent
from meterbot_platform.outbox import PublishBatch


def route(event: RecordedEvent) -> tuple[str, str]:
    """(topic, key) of a recorded event."""
    if event.type == BillingReading.TYPE:
        return BILLING_READINGS_V1, str(event.data["account_number"])
    return BILLING_EXPORT_EVENTS, event.stream_id


def _headers(envelope: Envelope) -> dict[str, str]:  # as meterbot_platform.broker publishes them
    return {
        "message_id": str(envelope.message_id),
        "type": envelope.type,
        "version": str(envelope.version),
        "content-type": "application/json",
    }


def routing_publisher(broker: KafkaBroker) -> PublishBatch:
    async def publish(events: Sequence[RecordedEvent]) -> None:
        pending = []
        for event in events:
            topic, key = route(event)
            envelope = event.to_envelope()
            # no_confirm: queue the batch (per-partition order kept), then wait for every ack
            pending.append(
                await broker.publish(
                    envelope.to_bytes(),
                    topic,
                    key=key.encode(),
                    headers=_headers(envelope),
                    correlation_id=envelope.correlation_id,
                    no_confirm=True,
                )
            )
        for future in pending:
            await future

    return publish
