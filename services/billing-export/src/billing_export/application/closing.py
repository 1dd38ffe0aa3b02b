"""Closing a period: exporting it makes it final. PeriodClosed goes to the period stream (and to
meterbot.billing-export.events, where readings learns to refuse further readings for it); reading
events that still arrive for it are dropped as late. Closing again changes nothing and reports the
first closing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg
from meterbot_contracts.billing import PeriodClosed
from meterbot_contracts.readings import Period
from meterbot_platform.application import run_transaction
from meterbot_platform.eventstore import EventStore, NewEvent

from billing_export.application.period_stream import load_for_close, period_stream
from billing_export.domain import decide_close


class PeriodNotStarted(ValueError):
    """A period that has not begun yet in the billing time zone cannot be closed."""


class PeriodIsCurrent(ValueError):
    """The period under way: closed only when asked with force (residents are still handing in)."""


@dataclass(frozen=True)
class ClosedPeriod:
    closed: PeriodClosed
    closed_now: bool  # False: it had been closed before


async def close_period(
    pool: asyncpg.Pool,
    store: EventStore,
    period: Period,
    *,
    now: datetime,
    current_period: Period,
    correlation_id: str,
    force: bool = False,
) -> ClosedPeriod:
    if period > current_period:
        raise PeriodNotStarted(f"period {period} has not started yet (current: {current_period})")
    if period == current_period and not force:
        raise PeriodIsCurrent(f"period {period} is the current one: residents are still handing in readings")

    async def close(conn: asyncpg.Connection) -> ClosedPeriod:  # run again if a reading came meanwhile
        snapshot, count = await load_for_close(conn, store, period)
        if snapshot.closed is not None:
            return ClosedPeriod(snapshot.closed, closed_now=False)
        [closed] = decide_close(snapshot.state, now=now, readings_count=count)
        event = NewEvent.of(closed, correlation_id=correlation_id, occurred_at=now)
        await store.append(conn, period_stream(period), [event], snapshot.version)
        return ClosedPeriod(closed, closed_now=True)

    return await run_transaction(pool, close)
