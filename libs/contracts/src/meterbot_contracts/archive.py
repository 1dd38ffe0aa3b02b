"""The archive of a meter: one value per month and the consumption between months. Pure rules that
readings' projection (`meter_archive`) and the gateway's read model (`rm_archive`) both apply, so the
two views can never disagree about which value a month has (like `period` and `window`, a rule every
side shares lives here, next to the events it reads).

Which value a month has:
- the reading that counts for the period: ReadingAccepted sets it (a replacement overwrites it),
  ReadingWithdrawn removes the one it names, ReadingReconciled puts back the one billing counts;
- else the registry's `last_value`, in the month of its `last_value_date` (the latest date of a month
  wins): registry history counts as readings. A month with a reading of ours shows ours -- the
  registry value of such a month is billing echoing it back, or a value booked before it.
Consumption of a month = its value minus the value of the latest EARLIER month that has one; months
without a value in between are spanned (`since` names that month). The first month has none."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Literal
from uuid import UUID

from meterbot_contracts.period import Period, period_of_date, split_period
from meterbot_contracts.readings import (
    MeterRegistered,
    MeterType,
    ReadingAccepted,
    ReadingReconciled,
    ReadingWithdrawn,
)
from meterbot_contracts.registry import Message

Source = Literal["reading", "registry"]
ArchiveEvent = MeterRegistered | ReadingAccepted | ReadingWithdrawn | ReadingReconciled


@dataclass(frozen=True)
class PutValue:
    """Set the month's value from `source` (a registry value only over an older or equal one)."""

    meter_id: str
    account_number: str
    meter_type: MeterType
    period: Period
    source: Source
    value: Decimal
    reading_id: UUID | None
    recorded_at: datetime

    @property
    def only_if_newer(self) -> bool:
        # a re-import may carry an older last_value_date than one already seen: the later date wins
        return self.source == "registry"


@dataclass(frozen=True)
class RemoveValue:
    """Remove the month's value from `source` -- only if it is `reading_id`'s, when one is named."""

    meter_id: str
    period: Period
    source: Source
    reading_id: UUID | None = None


ArchiveChange = PutValue | RemoveValue


def _reading(
    event: ReadingAccepted | ReadingReconciled, value: Decimal, reading_id: UUID, at: datetime
) -> PutValue:
    """The reading `reading_id` as its month's value."""
    return PutValue(
        event.meter_id, event.account_number, event.meter_type, event.period, "reading", value, reading_id, at
    )


def archive_changes(event: Message) -> list[ArchiveChange]:
    """What `event` changes in a meter's archive (nothing for the events it does not read)."""
    if isinstance(event, ReadingAccepted):
        return [_reading(event, event.value, event.reading_id, event.submitted_at)]
    if isinstance(event, ReadingWithdrawn):
        return [RemoveValue(event.meter_id, event.period, "reading", event.reading_id)]
    if isinstance(event, ReadingReconciled):
        changes: list[ArchiveChange] = [RemoveValue(event.meter_id, event.period, "reading")]
        if (
            event.counted_reading_id is not None
            and event.counted_value is not None
            and event.counted_submitted_at is not None
        ):
            changes.append(
                _reading(event, event.counted_value, event.counted_reading_id, event.counted_submitted_at)
            )
        return changes
    if (
        isinstance(event, MeterRegistered)
        and event.last_value is not None
        and event.last_value_date is not None
    ):
        return [
            PutValue(
                event.meter_id,
                event.account_number,
                event.meter_type,
                period_of_date(event.last_value_date),
                "registry",
                event.last_value,
                None,
                datetime.combine(event.last_value_date, time(), UTC),
            )
        ]
    return []


@dataclass(frozen=True)
class MonthValue:
    period: Period
    value: Decimal
    source: Source


@dataclass(frozen=True)
class MonthConsumption:
    period: Period
    value: Decimal
    source: Source
    used: Decimal | None  # None: no earlier month has a value
    since: Period | None  # the earlier month `used` is counted from


def month_values(rows: Iterable[tuple[Period, Source, Decimal]]) -> list[MonthValue]:
    """One value per month, oldest first: the reading where there is one, else the registry's."""
    chosen: dict[Period, MonthValue] = {}
    for period, source, value in rows:
        if source == "reading" or period not in chosen:
            chosen[period] = MonthValue(period, value, source)
    return [chosen[p] for p in sorted(chosen)]


def consumption(months: Sequence[MonthValue]) -> list[MonthConsumption]:
    """Each month's consumption since the latest earlier month with a value (see the docstring)."""
    result: list[MonthConsumption] = []
    previous: MonthValue | None = None
    for month in sorted(months, key=lambda m: m.period):
        used = None if previous is None else month.value - previous.value
        since = None if previous is None else previous.period
        result.append(MonthConsumption(month.period, month.value, month.source, used, since))
        previous = month
    return result


def previous_period(period: Period) -> Period:
    year, month = split_period(period)
    return f"{year - 1:04d}-12" if month == 1 else f"{year:04d}-{month - 1:02d}"


def last_periods(end: Period, count: int) -> list[Period]:
    """`count` consecutive months ending with `end`, oldest first."""
    periods = [end]
    while len(periods) < count:
        periods.append(previous_period(periods[-1]))
    return periods[::-1]


def monthly_usage(months: Sequence[MonthValue], periods: Sequence[Period]) -> list[Decimal | None]:
    """The consumption of each of `periods` (None: the month has no value, or nothing before it),
    for a chart: a month that spans a gap carries the whole gap's consumption."""
    used = {m.period: m.used for m in consumption(months)}
    return [used.get(p) for p in periods]
