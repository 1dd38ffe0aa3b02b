"""readings' ReadingAccepted / ReadingWithdrawn -> BillingReading on the period stream (published to
meterbot.billing.readings.v1 by the outbox). A reading event for a period already closed is not
billed: LateReadingRefused goes to the period stream (-> meterbot.billing-export.events, for readings)
and it is counted (meterbot_billing_late_readings_total). A withdrawal of a reading that no longer
counts records nothing. Each readings event is handled once (inbox)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import asyncpg
from meterbot_contracts import Envelope, Message
from meterbot_contracts.billing import BillingReading
from meterbot_contracts.readings import ReadingAccepted, ReadingAcceptedV2, ReadingWithdrawn
from meterbot_platform.application import DUPLICATE, caused_by, in_transaction
from meterbot_platform.consumer import Handler
from meterbot_platform.eventstore import EventStore

from billing_export import SERVICE
from billing_export.application.period_stream import load_for_meter, period_stream
from billing_export.domain import decide_late, is_late, to_billing
from billing_export.metrics import BILLING_READINGS, LATE_READINGS

CONSUMER = "billing-export:readings"
Outcome = Literal["recorded", "late", "ignored"]
# meterbot_commands_handled_total{outcome} takes the contract's values: a late event is refused
# (dropped), one that changes nothing (a withdrawal of a replaced reading) was handled all the same.
HANDLED = {"recorded": "accepted", "ignored": "accepted", "late": "rejected"}


async def record_reading(
    conn: asyncpg.Connection,
    store: EventStore,
    envelope: Envelope,
    event: ReadingAccepted | ReadingWithdrawn,
) -> tuple[Outcome, BillingReading | None]:
    snapshot = await load_for_meter(conn, store, event.period, event.meter_id)
    if is_late(snapshot.state, event):
        refusal = decide_late(snapshot.state, event)
        await store.append(conn, period_stream(event.period), caused_by(envelope, refusal), snapshot.version)
        return "late", None
    billing = to_billing(snapshot.state, event)
    if billing is None:
        return "ignored", None
    await store.append(conn, period_stream(event.period), caused_by(envelope, [billing]), snapshot.version)
    return "recorded", billing


def reading_handlers(pool: asyncpg.Pool, store: EventStore) -> Mapping[type[Message], Handler]:
    async def handle(envelope: Envelope, event: ReadingAccepted | ReadingWithdrawn) -> str:
        result: list[tuple[Outcome, BillingReading | None]] = []

        async def work(conn: asyncpg.Connection) -> str:
            result[:] = [await record_reading(conn, store, envelope, event)]
            return result[0][0]

        outcome = await in_transaction(pool, consumer=CONSUMER, envelope=envelope, work=work)
        if outcome == DUPLICATE:
            return outcome
        _, billing = result[0]
        if outcome == "late":
            LATE_READINGS.labels(SERVICE, envelope.type).inc()
        elif billing is not None:
            BILLING_READINGS.labels(SERVICE, billing.status).inc()
        return HANDLED[outcome]

    return {ReadingAccepted: handle, ReadingAcceptedV2: handle, ReadingWithdrawn: handle}
