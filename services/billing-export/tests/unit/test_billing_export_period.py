"""Period export view: replacement supersedes, withdrawal removes, a closed period is final."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from billing_export.domain import (
    PeriodExport,
    decide_close,
    decide_late,
    evolve,
    fold,
    is_late,
    to_billing,
)
from hypothesis import given
from hypothesis import strategies as st
from meterbot_contracts.billing import BillingReading, LateReadingRefused, PeriodClosed
from meterbot_contracts.readings import MeterType, ReadingAccepted, ReadingWithdrawn

pytestmark = pytest.mark.unit

PERIOD = "2025-03"
T0 = datetime(2025, 3, 10, 9, tzinfo=UTC)


def accepted(
    meter: str = "M1", value: int = 260, *, replaces: UUID | None = None, period: str = PERIOD
) -> ReadingAccepted:
    return ReadingAccepted(
        reading_id=uuid4(),
        chat_id=7,
        account_number="A1",
        meter_id=meter,
        meter_type=MeterType.COLD_WATER,
        value=Decimal(value),
        previous_value=Decimal("250.550"),
        period=period,
        submitted_at=T0,
        replaces_reading_id=replaces,
    )


def withdrawn(of: ReadingAccepted) -> ReadingWithdrawn:
    return ReadingWithdrawn(
        reading_id=of.reading_id, chat_id=8, account_number="A1", meter_id=of.meter_id, period=of.period
    )


def test_accepted_maps_to_an_accepted_billing_reading() -> None:
    event = accepted(replaces=uuid4())
    assert to_billing(PeriodExport(period=PERIOD), event) == BillingReading(
        reading_id=event.reading_id,
        status="accepted",
        account_number="A1",
        meter_id="M1",
        meter_type=MeterType.COLD_WATER,
        value=Decimal(260),
        period=PERIOD,
        submitted_at=T0,
        replaces_reading_id=event.replaces_reading_id,
    )


def test_replacement_supersedes_the_first_reading() -> None:
    first = accepted(value=260)
    second = accepted(value=270, replaces=first.reading_id)
    state = fold(PERIOD, [first, second])
    [line] = state.lines()
    assert (line.reading_id, line.value) == (second.reading_id, Decimal(270))


def test_withdrawal_removes_and_maps_to_a_withdrawn_billing_reading() -> None:
    reading = accepted()
    state = fold(PERIOD, [reading])
    published = to_billing(state, withdrawn(reading))
    assert published is not None
    assert (published.reading_id, published.status, published.value) == (
        reading.reading_id,
        "withdrawn",
        None,
    )
    assert published.meter_type is MeterType.COLD_WATER
    assert evolve(state, withdrawn(reading)).lines() == []


def test_withdrawal_of_an_already_replaced_reading_changes_and_publishes_nothing() -> None:
    first = accepted(value=260)
    state = fold(PERIOD, [first, accepted(value=270, replaces=first.reading_id)])
    assert to_billing(state, withdrawn(first)) is None
    assert evolve(state, withdrawn(first)) == state


def test_closing_reports_the_count_and_closing_twice_does_nothing() -> None:
    state = fold(PERIOD, [accepted("M1"), accepted("M2"), accepted("M1")])
    [closed] = decide_close(state, now=T0 + timedelta(days=30))
    assert closed == PeriodClosed(period=PERIOD, closed_at=T0 + timedelta(days=30), readings_count=2)
    state = evolve(state, closed)
    assert decide_close(state, now=T0 + timedelta(days=31)) == []
    assert evolve(state, closed.model_copy(update={"closed_at": T0 + timedelta(days=40)})) == state


def test_a_closed_period_does_not_change_and_late_events_are_not_published() -> None:
    reading = accepted("M1")
    state = fold(PERIOD, [reading, PeriodClosed(period=PERIOD, closed_at=T0, readings_count=1)])
    for late in (accepted("M2"), withdrawn(reading)):
        assert is_late(state, late)
        assert to_billing(state, late) is None
        assert evolve(state, late) == state


def test_a_late_event_is_refused_naming_the_reading_billing_counts() -> None:
    counted = accepted("M1", 260)
    state = fold(PERIOD, [counted, PeriodClosed(period=PERIOD, closed_at=T0, readings_count=1)])
    replacement = accepted("M1", 270, replaces=counted.reading_id)
    assert decide_late(state, replacement) == [
        LateReadingRefused(
            reading_id=replacement.reading_id,
            refused="accepted",
            chat_id=7,
            account_number="A1",
            meter_id="M1",
            period=PERIOD,
            value=Decimal(270),
            closed_at=T0,
            counted_reading_id=counted.reading_id,
            counted_value=Decimal(260),
        )
    ]
    [first_reading] = decide_late(state, accepted("M2"))
    assert (first_reading.counted_reading_id, first_reading.counted_value) == (None, None)
    [withdrawal] = decide_late(state, withdrawn(counted))
    assert (withdrawal.refused, withdrawal.value, withdrawal.chat_id) == ("withdrawn", None, 8)
    assert withdrawal.counted_reading_id == counted.reading_id
    # withdrawing a reading billing never counted changes nothing billing holds: nothing to refuse
    assert decide_late(state, withdrawn(replacement)) == []
    # in time, or for another period: not late
    assert decide_late(PeriodExport(period=PERIOD), accepted("M1")) == []
    assert decide_late(state, accepted("M1", period="2025-04")) == []


def test_events_of_other_periods_are_ignored() -> None:
    state = PeriodExport(period=PERIOD)
    other = accepted(period="2025-04")
    assert evolve(state, other) == state
    assert to_billing(state, other) is None
    assert not is_late(state, other)


# Property: for any sequence of submissions, replacements and withdrawals, the view holds the last
# reading per meter unless it was withdrawn, and a billing consumer that applies every published
# BillingReading ends with the same set.
actions = st.lists(st.tuples(st.sampled_from(["submit", "withdraw"]), st.sampled_from(["M1", "M2", "M3"])))


@given(actions)
def test_view_and_published_stream_agree_with_a_simple_model(steps: list[tuple[str, str]]) -> None:
    state = PeriodExport(period=PERIOD)
    model: dict[str, ReadingAccepted] = {}
    billing: dict[str, BillingReading] = {}
    for i, (action, meter) in enumerate(steps):
        event: ReadingAccepted | ReadingWithdrawn
        if action == "submit":
            current = model.get(meter)
            event = accepted(meter, 260 + i, replaces=current.reading_id if current else None)
            model[meter] = event
        elif meter in model:
            event = withdrawn(model.pop(meter))
        else:
            continue
        published = to_billing(state, event)
        state = evolve(state, event)
        assert published is not None
        if published.status == "accepted":
            billing[published.meter_id] = published
        else:
            billing.pop(published.meter_id)
    assert {m: r.reading_id for m, r in state.readings.items()} == {m: e.reading_id for m, e in model.items()}
    assert billing == state.readings
