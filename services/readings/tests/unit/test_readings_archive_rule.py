"""The archive rule (meterbot_contracts.archive): over any sequence of accepted, replaced, withdrawn
(also stale withdrawals) and reconciled readings and registry values, the month values the archive
keeps are the meter aggregate's readings per period (else the registry's latest value of the
month), and each month's consumption is its value minus the latest earlier month's."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from meterbot_contracts.archive import (
    ArchiveChange,
    MonthValue,
    PutValue,
    Source,
    archive_changes,
    consumption,
    last_periods,
    month_values,
    monthly_usage,
)
from meterbot_contracts.billing import LateReadingRefused
from meterbot_contracts.readings import (
    MeterRegistered,
    MeterType,
    ReadingAccepted,
    ReadingWithdrawn,
)
from readings.domain import MeterEvent, decide_reconciliation, fold

pytestmark = pytest.mark.unit

PERIODS = ["2024-11", "2024-12", "2025-01", "2025-02", "2025-03"]
T0 = datetime(2025, 3, 1, tzinfo=UTC)


@dataclass
class Table:
    """The archive table, in memory: what the SQL of both services does with a change."""

    rows: dict[tuple[str, Source], PutValue] = field(default_factory=dict)  # (period, source)

    def apply(self, change: ArchiveChange) -> None:
        key = (change.period, change.source)
        current = self.rows.get(key)
        if isinstance(change, PutValue):
            if current is None or not change.only_if_newer or change.recorded_at >= current.recorded_at:
                self.rows[key] = change
        elif current is not None and change.reading_id in (None, current.reading_id):
            del self.rows[key]

    def months(self) -> list[MonthValue]:
        return month_values((p, s, put.value) for (p, s), put in self.rows.items())


def registry(day: date, value: int) -> MeterRegistered:
    return MeterRegistered(
        meter_id="M1",
        account_number="A1",
        meter_type=MeterType.COLD_WATER,
        serial_number="SN1",
        verified_until=None,
        last_value=Decimal(value),
        last_value_date=day,
    )


ops = st.lists(
    st.one_of(
        st.tuples(st.just("accept"), st.sampled_from(PERIODS), st.integers(0, 500)),
        st.tuples(st.just("withdraw"), st.sampled_from(PERIODS), st.booleans()),
        st.tuples(st.just("reconcile"), st.sampled_from(PERIODS), st.integers(-1, 3)),
        st.tuples(st.just("registry"), st.sampled_from(PERIODS), st.integers(1, 28), st.integers(0, 500)),
    ),
    max_size=25,
)


def play(script: list[tuple[object, ...]]) -> list[MeterEvent]:
    """The meter's events for a script, each decided against the state so far (as readings does)."""
    events: list[MeterEvent] = []
    accepted: dict[str, list[ReadingAccepted]] = {}
    for n, (kind, period, *args) in enumerate(script):
        assert isinstance(period, str)
        state = fold(events)
        at = T0 + timedelta(minutes=n)
        current = state.readings.get(period)
        if kind == "accept":
            event = ReadingAccepted(
                reading_id=uuid4(),
                chat_id=1,
                account_number="A1",
                meter_id="M1",
                meter_type=MeterType.COLD_WATER,
                value=Decimal(str(args[0])),
                previous_value=None,
                period=period,
                submitted_at=at,
                replaces_reading_id=current.reading_id if current else None,
            )
            accepted.setdefault(period, []).append(event)
            events.append(event)
        elif kind == "withdraw":
            stale = bool(args[0])  # a withdrawal naming a reading that no longer counts does nothing
            reading_id: UUID | None = uuid4() if stale else (current.reading_id if current else None)
            if reading_id is not None:
                events.append(
                    ReadingWithdrawn(
                        reading_id=reading_id, chat_id=1, account_number="A1", meter_id="M1", period=period
                    )
                )
        elif kind == "reconcile" and current is not None:
            earlier = accepted.get(period, [])
            index = int(str(args[0]))
            counted = earlier[index] if 0 <= index < len(earlier) else None
            refusal = LateReadingRefused(
                reading_id=current.reading_id,
                refused="accepted",
                chat_id=1,
                account_number="A1",
                meter_id="M1",
                period=period,
                value=current.value,
                closed_at=at,
                counted_reading_id=counted.reading_id if counted else None,
                counted_value=counted.value if counted else None,
            )
            events.extend(decide_reconciliation(state, refusal, counted))
        elif kind == "registry":
            year, month = (int(x) for x in period.split("-"))
            events.append(registry(date(year, month, int(str(args[0]))), int(str(args[1]))))
    return events


@settings(max_examples=300, deadline=None)
@given(ops)
def test_the_archive_keeps_what_the_meter_counts_and_consumption_telescopes(
    script: list[tuple[object, ...]],
) -> None:
    events = play(script)
    table = Table()
    for event in events:
        for change in archive_changes(event):
            table.apply(change)
    state = fold(events)
    latest_registry: dict[str, tuple[date, Decimal]] = {}
    for event in events:
        if isinstance(event, MeterRegistered) and event.last_value_date and event.last_value is not None:
            period = event.last_value_date.strftime("%Y-%m")
            seen = latest_registry.get(period)
            if seen is None or event.last_value_date >= seen[0]:
                latest_registry[period] = (event.last_value_date, event.last_value)

    expected = {p: (r.value, "reading") for p, r in state.readings.items()}
    for period, (_, value) in latest_registry.items():
        expected.setdefault(period, (value, "registry"))
    months = table.months()
    assert {m.period: (m.value, m.source) for m in months} == expected

    rows = consumption(months)
    assert [r.period for r in rows] == sorted(expected)
    for before, after in pairwise(rows):
        assert after.used == after.value - before.value
        assert after.since == before.period
    if rows:
        assert rows[0].used is None
        assert sum((r.used or Decimal(0)) for r in rows) == rows[-1].value - rows[0].value


def test_a_withdrawn_month_is_spanned_and_the_registry_fills_a_month_without_a_reading() -> None:
    months = [
        MonthValue("2025-01", Decimal("100.5"), "registry"),
        MonthValue("2025-02", Decimal(110), "reading"),
        MonthValue("2025-04", Decimal(130), "reading"),  # March withdrawn: April counts from February
    ]
    rows = consumption(months)
    assert [(r.used, r.since) for r in rows] == [
        (None, None),
        (Decimal("9.5"), "2025-01"),
        (Decimal(20), "2025-02"),
    ]
    window = last_periods("2025-04", 4)
    assert window == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert monthly_usage(months, window) == [None, Decimal("9.5"), None, Decimal(20)]
    assert last_periods("2025-01", 2) == ["2024-12", "2025-01"]


def test_a_reading_of_the_month_wins_over_the_registry_value_of_that_month() -> None:
    chosen = month_values([("2025-02", "registry", Decimal(105)), ("2025-02", "reading", Decimal(110))])
    assert chosen == [MonthValue("2025-02", Decimal(110), "reading")]
    chosen = month_values([("2025-02", "reading", Decimal(110)), ("2025-02", "registry", Decimal(105))])
    assert chosen == [MonthValue("2025-02", Decimal(110), "reading")]
