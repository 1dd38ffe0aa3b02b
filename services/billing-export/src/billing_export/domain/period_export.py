"""Period export view (stream per period): the reading that counts per meter, and closing the period.

- ReadingAccepted sets the meter's reading for its period; a replacement (same period and meter)
  supersedes the earlier one.
- ReadingWithdrawn removes the meter's reading if it is the withdrawn one; a withdrawal of a reading
  that was already replaced changes nothing.
- PeriodClosed makes the period final: later readings or withdrawals for it change nothing and are not
  published. readings refuses them once it has seen PeriodClosed; one that raced past it (readings
  accepted it a moment before) is refused here with LateReadingRefused (`decide_late`), which names
  the reading billing counts, so readings undoes the change and the resident is told.
- Closing twice yields no second PeriodClosed.
- ReadingAccepted -> BillingReading(accepted); ReadingWithdrawn -> BillingReading(withdrawn) of the
  reading it removes (meter type, value-less, original submitted_at), nothing if it removes nothing."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TypeAlias

from meterbot_contracts.billing import BillingReading, LateReadingRefused, PeriodClosed
from meterbot_contracts.readings import Period, ReadingAccepted, ReadingWithdrawn
from pydantic import BaseModel, ConfigDict, Field

ReadingEvent: TypeAlias = ReadingAccepted | ReadingWithdrawn
ExportEvent: TypeAlias = ReadingAccepted | ReadingWithdrawn | PeriodClosed


class PeriodExport(BaseModel):
    model_config = ConfigDict(frozen=True)

    period: Period
    closed_at: datetime | None = None
    readings: dict[str, BillingReading] = Field(default_factory=dict)  # meter_id -> the reading that counts

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    def lines(self) -> list[BillingReading]:
        """The period's export: one accepted reading per meter, ordered by account and meter."""
        return sorted(self.readings.values(), key=lambda r: (r.account_number, r.meter_id))


def accepted_to_billing(event: ReadingAccepted) -> BillingReading:
    return BillingReading(
        reading_id=event.reading_id,
        status="accepted",
        account_number=event.account_number,
        meter_id=event.meter_id,
        meter_type=event.meter_type,
        value=event.value,
        period=event.period,
        submitted_at=event.submitted_at,
        replaces_reading_id=event.replaces_reading_id,
    )


def withdrawn_to_billing(removed: BillingReading) -> BillingReading:
    return removed.model_copy(update={"status": "withdrawn", "value": None, "replaces_reading_id": None})


def _withdrawn_reading(state: PeriodExport, event: ReadingWithdrawn) -> BillingReading | None:
    current = state.readings.get(event.meter_id)
    return current if current is not None and current.reading_id == event.reading_id else None


def is_late(state: PeriodExport, event: ReadingEvent) -> bool:
    """A reading event for this period that arrived after it was closed (dropped; worth a metric)."""
    return event.period == state.period and state.closed


def decide_late(state: PeriodExport, event: ReadingEvent) -> list[LateReadingRefused]:
    """For a late event (is_late): LateReadingRefused, unless it changes nothing billing counts (the
    withdrawal of a reading billing never counted)."""
    if not is_late(state, event) or state.closed_at is None:
        return []
    counted = state.readings.get(event.meter_id)
    if isinstance(event, ReadingWithdrawn) and (counted is None or counted.reading_id != event.reading_id):
        return []
    return [
        LateReadingRefused(
            reading_id=event.reading_id,
            refused="accepted" if isinstance(event, ReadingAccepted) else "withdrawn",
            chat_id=event.chat_id,
            account_number=event.account_number,
            meter_id=event.meter_id,
            period=event.period,
            value=event.value if isinstance(event, ReadingAccepted) else None,
            closed_at=state.closed_at,
            counted_reading_id=counted.reading_id if counted else None,
            counted_value=counted.value if counted else None,
        )
    ]


def to_billing(state: PeriodExport, event: ReadingEvent) -> BillingReading | None:
    """What to publish on meterbot.billing.readings.v1 for `event`, given the view BEFORE it; None if
    the event is for another period, late, or withdraws nothing that counts."""
    if event.period != state.period or state.closed:
        return None
    if isinstance(event, ReadingAccepted):
        return accepted_to_billing(event)
    removed = _withdrawn_reading(state, event)
    return withdrawn_to_billing(removed) if removed is not None else None


def evolve(state: PeriodExport, event: ExportEvent) -> PeriodExport:
    if event.period != state.period:
        return state
    if isinstance(event, PeriodClosed):
        return state if state.closed else state.model_copy(update={"closed_at": event.closed_at})
    if state.closed:
        return state
    if isinstance(event, ReadingAccepted):
        readings = {**state.readings, event.meter_id: accepted_to_billing(event)}
        return state.model_copy(update={"readings": readings})
    if _withdrawn_reading(state, event) is None:
        return state
    readings = {m: r for m, r in state.readings.items() if m != event.meter_id}
    return state.model_copy(update={"readings": readings})


def fold(period: Period, events: Iterable[ExportEvent]) -> PeriodExport:
    state = PeriodExport(period=period)
    for event in events:
        state = evolve(state, event)
    return state


def decide_close(
    state: PeriodExport, *, now: datetime, readings_count: int | None = None
) -> list[PeriodClosed]:
    """PeriodClosed with the number of readings exported; nothing if the period is already closed.

    `readings_count`: for a caller holding the period without its readings (up to a million of them,
    counted by the store instead of loaded); by default the readings in `state` are counted."""
    if state.closed:
        return []
    count = len(state.readings) if readings_count is None else readings_count
    return [PeriodClosed(period=state.period, closed_at=now, readings_count=count)]
