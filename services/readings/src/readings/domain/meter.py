"""Meter aggregate state (stream per meter id): what the registry says about a meter and the readings
accepted for it, one per period. `evolve` folds events; registry decisions live here too.

The previous value a reading is checked against is the one shared rule of
meterbot_contracts.previous_value (the gateway shows the same one in its prompt)."""

from __future__ import annotations

from collections.abc import Iterable, Set
from datetime import date, datetime
from decimal import Decimal
from typing import TypeAlias
from uuid import UUID

from meterbot_contracts.billing import LateReadingRefused, RegistryMeter, RegistryMeterV2
from meterbot_contracts.previous_value import last_earlier_reading, previous_value
from meterbot_contracts.readings import (
    MeterClosed,
    MeterRegistered,
    MeterRegisteredV2,
    MeterReplaced,
    MeterType,
    Period,
    ReadingAccepted,
    ReadingAcceptedV2,
    ReadingConfirmationAsked,
    ReadingPhotoAttached,
    ReadingPhotoRefused,
    ReadingReconciled,
    ReadingRejected,
    ReadingWithdrawalRefused,
    ReadingWithdrawn,
)
from pydantic import BaseModel, ConfigDict, Field

MeterEvent: TypeAlias = (
    MeterRegistered
    | MeterClosed
    | MeterReplaced
    | ReadingAccepted
    | ReadingRejected
    | ReadingWithdrawn
    | ReadingWithdrawalRefused
    | ReadingReconciled
    | ReadingConfirmationAsked
    | ReadingPhotoAttached
    | ReadingPhotoRefused
)


class MeterInfo(BaseModel):
    """The meter as the billing registry last described it."""

    model_config = ConfigDict(frozen=True)

    meter_id: str
    account_number: str
    meter_type: MeterType
    serial_number: str = ""
    verified_until: date | None = None
    last_value: Decimal | None = None
    last_value_date: date | None = None
    # the registry's optional columns (MeterRegisteredV2; None: not given)
    digits: int | None = None
    fraction_digits: int | None = None
    replaces_meter_id: str | None = None
    initial_value: Decimal | None = None
    residents: int | None = None


# MeterInfo fields that came with MeterRegisteredV2: a registration with any of them given is sent as v2.
V2_FIELDS = ("digits", "fraction_digits", "replaces_meter_id", "initial_value", "residents")


class AcceptedReading(BaseModel):
    """The reading that currently counts for one period (replacements overwrite, withdrawal removes)."""

    model_config = ConfigDict(frozen=True)

    reading_id: UUID
    chat_id: int
    value: Decimal
    period: Period
    submitted_at: datetime
    consumption: Decimal | None = None  # since the previous value (None: no previous value)


def _consumption(event: ReadingAccepted) -> Decimal | None:
    if isinstance(event, ReadingAcceptedV2) and event.consumption is not None:
        return event.consumption
    return None if event.previous_value is None else event.value - event.previous_value


class MeterState(BaseModel):
    model_config = ConfigDict(frozen=True)

    info: MeterInfo | None = None
    closed: bool = False
    replaced_by: str | None = None  # the meter that replaced this one (MeterReplaced)
    readings: dict[Period, AcceptedReading] = Field(default_factory=dict)

    def reading_in(self, period: Period) -> AcceptedReading | None:
        return self.readings.get(period)

    def consumptions_before(self, period: Period) -> list[Decimal]:
        """The consumption of each accepted period before `period` that has one, oldest first."""
        earlier = sorted((p, r.consumption) for p, r in self.readings.items() if p < period)
        return [c for _, c in earlier if c is not None]

    def previous_value(self, period: Period) -> Decimal | None:
        """The value a reading for `period` is checked against (meterbot_contracts.previous_value)."""
        ours = last_earlier_reading(((p, r.value) for p, r in self.readings.items()), period)
        info = self.info
        if info is None:
            return previous_value(ours, None, None)
        return previous_value(ours, info.last_value, info.last_value_date, info.initial_value)


def _info_of(event: MeterRegistered) -> MeterInfo:
    extra = {f: getattr(event, f) for f in V2_FIELDS} if isinstance(event, MeterRegisteredV2) else {}
    return MeterInfo(
        meter_id=event.meter_id,
        account_number=event.account_number,
        meter_type=event.meter_type,
        serial_number=event.serial_number,
        verified_until=event.verified_until,
        last_value=event.last_value,
        last_value_date=event.last_value_date,
        **extra,
    )


def evolve(state: MeterState, event: MeterEvent) -> MeterState:
    if isinstance(event, MeterRegistered):
        return state.model_copy(update={"info": _info_of(event), "closed": False, "replaced_by": None})
    if isinstance(event, MeterReplaced):
        return state.model_copy(update={"closed": True, "replaced_by": event.replaced_by})
    if isinstance(event, MeterClosed):
        return state.model_copy(update={"closed": True})
    if isinstance(event, ReadingAccepted | ReadingWithdrawn | ReadingReconciled):
        return state.model_copy(update={"readings": _readings_after(state.readings, event)})
    return state  # refusals are recorded for the resident's reply; they change nothing


def _readings_after(
    readings: dict[Period, AcceptedReading], event: ReadingAccepted | ReadingWithdrawn | ReadingReconciled
) -> dict[Period, AcceptedReading]:
    """The readings per period after a reading event: accepted sets, withdrawn removes (only the
    reading it names), reconciled puts back the one billing counts."""
    if isinstance(event, ReadingAccepted):
        reading = AcceptedReading(
            reading_id=event.reading_id,
            chat_id=event.chat_id,
            value=event.value,
            period=event.period,
            submitted_at=event.submitted_at,
            consumption=_consumption(event),
        )
        return {**readings, event.period: reading}
    current = readings.get(event.period)
    if isinstance(event, ReadingWithdrawn) and (current is None or current.reading_id != event.reading_id):
        return readings
    after = {p: r for p, r in readings.items() if p != event.period}
    counted = _counted_reading(event) if isinstance(event, ReadingReconciled) else None
    return after if counted is None else {**after, event.period: counted}


def _counted_reading(event: ReadingReconciled) -> AcceptedReading | None:
    if (
        event.counted_reading_id is None
        or event.counted_value is None
        or event.counted_chat_id is None
        or event.counted_submitted_at is None
    ):
        return None
    return AcceptedReading(
        reading_id=event.counted_reading_id,
        chat_id=event.counted_chat_id,
        value=event.counted_value,
        period=event.period,
        submitted_at=event.counted_submitted_at,
        consumption=None
        if event.counted_previous_value is None
        else event.counted_value - event.counted_previous_value,
    )


def fold(events: Iterable[MeterEvent], state: MeterState | None = None) -> MeterState:
    current = state if state is not None else MeterState()
    for event in events:
        current = evolve(current, event)
    return current


def decide_reconciliation(
    state: MeterState, refusal: LateReadingRefused, counted: ReadingAccepted | None
) -> list[ReadingReconciled]:
    """billing-export closed the period before the refused change reached it: the reading billing
    counts (`counted`, found in this meter's stream; None: none) becomes the meter's reading for the
    period again. Nothing if the meter already says so (nothing to undo, nobody to tell)."""
    current = state.readings.get(refusal.period)
    if state.info is None or (current.reading_id if current else None) == refusal.counted_reading_id:
        return []
    return [
        ReadingReconciled(
            meter_id=refusal.meter_id,
            account_number=refusal.account_number,
            meter_type=state.info.meter_type,
            period=refusal.period,
            chat_id=refusal.chat_id,
            refused_reading_id=refusal.reading_id,
            refused=refusal.refused,
            refused_value=refusal.value,
            counted_reading_id=counted.reading_id if counted else None,
            counted_value=counted.value if counted else None,
            counted_previous_value=counted.previous_value if counted else None,
            counted_chat_id=counted.chat_id if counted else None,
            counted_submitted_at=counted.submitted_at if counted else None,
        )
    ]


def decide_registration(
    state: MeterState, account_number: str, meter: RegistryMeter
) -> list[MeterRegistered]:
    """A registry record lists this meter: MeterRegistered unless nothing changed (idempotent by content).
    A closed meter listed again is reopened. With any optional column given: MeterRegisteredV2."""
    fields = {
        "meter_id": meter.meter_id,
        "account_number": account_number,
        "meter_type": meter.meter_type,
        "serial_number": meter.serial_number,
        "verified_until": meter.verified_until,
        "last_value": meter.last_value,
        "last_value_date": meter.last_value_date,
    }
    extra = {f: getattr(meter, f) for f in V2_FIELDS} if isinstance(meter, RegistryMeterV2) else {}
    given = {f: v for f, v in extra.items() if v is not None}
    event = MeterRegisteredV2(**fields, **given) if given else MeterRegistered(**fields)
    if not state.closed and state.info == _info_of(event):
        return []
    return [event]


def decide_replacement(state: MeterState, new: MeterInfo) -> list[MeterReplaced]:
    """The registry lists `new` as replacing this meter (new.replaces_meter_id): MeterReplaced, once,
    if this meter is known and open (a re-import, or a replacement of a closed meter, changes nothing)."""
    if state.info is None or state.closed or new.meter_id == state.info.meter_id:
        return []
    return [
        MeterReplaced(
            meter_id=state.info.meter_id,
            account_number=state.info.account_number,
            meter_type=state.info.meter_type,
            replaced_by=new.meter_id,
            replaced_by_type=new.meter_type,
            initial_value=new.initial_value,
        )
    ]


def decide_closure(state: MeterState, account_number: str) -> list[MeterClosed]:
    """The registry record of `account_number` no longer lists this meter. Nothing happens if the
    meter is unknown, already closed, or now belongs to another account."""
    if state.info is None or state.closed or state.info.account_number != account_number:
        return []
    return [MeterClosed(meter_id=state.info.meter_id, account_number=account_number)]


def meters_to_close(known_meter_ids: Set[str], listed: Iterable[RegistryMeter]) -> set[str]:
    """Meter ids an account had that its new registry record no longer lists."""
    return set(known_meter_ids) - {m.meter_id for m in listed}
