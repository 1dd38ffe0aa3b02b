"""billing-export's LateReadingRefused -> ReadingReconciled on the meter's stream: a reading change
readings accepted a moment before it learnt the period was closed is undone, and the reading billing
counts is the meter's reading for that period again. The gateway tells the resident."""

from __future__ import annotations

from collections.abc import Mapping

import asyncpg
from meterbot_contracts import Envelope, Message
from meterbot_contracts.all import default_registry
from meterbot_contracts.billing import LateReadingRefused
from meterbot_contracts.readings import ReadingAccepted
from meterbot_platform.application import as_messages, caused_by, in_transaction, load_stream
from meterbot_platform.consumer import Handler
from meterbot_platform.eventstore import EventStore

from readings.application.meters import meter_stream
from readings.domain import MeterEvent, decide_reconciliation, fold

CONSUMER = "readings:reconciliation"


async def reconcile(
    conn: asyncpg.Connection, store: EventStore, envelope: Envelope, refusal: LateReadingRefused
) -> str:
    events, version = await load_stream(conn, store, meter_stream(refusal.meter_id))
    history: list[MeterEvent] = as_messages(events, default_registry)  # type: ignore[assignment]
    counted = next(
        (e for e in history if isinstance(e, ReadingAccepted) and e.reading_id == refusal.counted_reading_id),
        None,
    )
    decided = decide_reconciliation(fold(history), refusal, counted)
    await store.append(conn, meter_stream(refusal.meter_id), caused_by(envelope, decided), version)
    return "accepted"  # handled, whether or not anything was left to undo


def reconciliation_handlers(pool: asyncpg.Pool, store: EventStore) -> Mapping[type[Message], Handler]:
    async def refused(envelope: Envelope, refusal: LateReadingRefused) -> str:
        return await in_transaction(
            pool,
            consumer=CONSUMER,
            envelope=envelope,
            work=lambda conn: reconcile(conn, store, envelope, refusal),
        )

    return {LateReadingRefused: refused}
