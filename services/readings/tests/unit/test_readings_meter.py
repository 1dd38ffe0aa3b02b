"""Meter aggregate: registry events, the previous value a reading is checked against."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from meterbot_contracts.billing import LateReadingRefused, RegistryMeter
from meterbot_contracts.readings import (
    MeterClosed,
    MeterRegistered,
    MeterType,
    ReadingAccepted,
    ReadingWithdrawn,
)
from readings.domain import (
    MeterState,
    decide_closure,
    decide_reconciliation,
    decide_registration,
    evolve,
    fold,
    meters_to_close,
)

pytestmark = pytest.mark.unit


def registered(
    last_value: str | None = "100", last_value_date: date | None = date(2025, 1, 25)
) -> MeterRegistered:
    return MeterRegistered(
        meter_id="M1",
        account_number="A1",
        meter_type=MeterType.COLD_WATER,
        serial_number="SN1",
        verified_until=date(2030, 1, 1),
        last_value=None if last_value is None else Decimal(last_value),
        last_value_date=last_value_date,
    )


def accepted(period: str, value: int, reading_id: UUID | None = None) -> ReadingAccepted:
    return ReadingAccepted(
        reading_id=reading_id or uuid4(),
        chat_id=1,
        account_number="A1",
        meter_id="M1",
        meter_type=MeterType.COLD_WATER,
        value=Decimal(value),
        previous_value=None,
        period=period,
        submitted_at=datetime(int(period[:4]), int(period[5:]), 20, tzinfo=UTC),
    )


def registry_meter(**changes: object) -> RegistryMeter:
    data: dict[str, object] = {
        "meter_id": "M1",
        "meter_type": "cold_water",
        "serial_number": "SN1",
        "verified_until": date(2030, 1, 1),
        "last_value": Decimal("100"),
        "last_value_date": date(2025, 1, 25),
    }
    return RegistryMeter.model_validate({**data, **changes})


def test_registry_value_is_the_previous_value_before_any_reading() -> None:
    state = fold([registered()])
    assert state.previous_value("2025-02") == Decimal(100)


def test_a_reading_of_an_earlier_period_beats_an_older_registry_value() -> None:
    state = fold([registered(), accepted("2025-02", 120)])
    assert state.previous_value("2025-03") == Decimal(120)


def test_same_period_reading_is_not_its_own_previous_value() -> None:
    # given a reading accepted in the open period 2025-02
    state = fold([registered(), accepted("2025-02", 120)])
    # then a second reading in 2025-02 is still checked against the registry value
    assert state.previous_value("2025-02") == Decimal(100)


def test_a_newer_registry_value_beats_our_older_reading() -> None:
    # billing booked 130 on 2025-03-02 after our February reading of 120
    state = fold([registered(), accepted("2025-02", 120), registered("130", date(2025, 3, 2))])
    assert state.previous_value("2025-03") == Decimal(130)


def test_registry_value_without_date_loses_to_our_reading() -> None:
    state = fold([registered("90", None), accepted("2025-02", 120)])
    assert state.previous_value("2025-03") == Decimal(120)


def test_withdrawal_removes_the_periods_reading_and_earlier_one_counts_again() -> None:
    feb, mar = uuid4(), uuid4()
    state = fold([registered(), accepted("2025-02", 120, feb), accepted("2025-03", 150, mar)])
    state = evolve(
        state,
        ReadingWithdrawn(reading_id=mar, chat_id=1, account_number="A1", meter_id="M1", period="2025-03"),
    )
    assert state.reading_in("2025-03") is None
    assert state.previous_value("2025-04") == Decimal(120)


def test_a_stale_withdrawal_of_a_replaced_reading_changes_nothing() -> None:
    first, second = uuid4(), uuid4()
    state = fold([registered(), accepted("2025-02", 120, first), accepted("2025-02", 125, second)])
    after = evolve(
        state,
        ReadingWithdrawn(reading_id=first, chat_id=1, account_number="A1", meter_id="M1", period="2025-02"),
    )
    assert after == state
    assert after.reading_in("2025-02") is not None


def test_registration_is_idempotent_by_content() -> None:
    # given a registered meter
    state = MeterState()
    [event] = decide_registration(state, "A1", registry_meter())
    state = evolve(state, event)
    # when the same registry content arrives again (trailing zeros do not matter)
    assert decide_registration(state, "A1", registry_meter(last_value=Decimal("100.000"))) == []
    # when it changes
    [changed] = decide_registration(state, "A1", registry_meter(last_value=Decimal("140")))
    assert changed.last_value == Decimal(140)


def test_closure_and_reopening() -> None:
    state = fold([registered()])
    [closed] = decide_closure(state, "A1")
    assert closed == MeterClosed(meter_id="M1", account_number="A1")
    state = evolve(state, closed)
    assert state.closed
    assert decide_closure(state, "A1") == []
    # the registry lists the meter again with unchanged content: it is reopened
    [reopened] = decide_registration(state, "A1", registry_meter())
    assert not evolve(state, reopened).closed


def test_closure_by_another_account_or_of_an_unknown_meter_does_nothing() -> None:
    assert decide_closure(fold([registered()]), "A2") == []
    assert decide_closure(MeterState(), "A1") == []


def test_meters_to_close_are_the_ones_no_longer_listed() -> None:
    assert meters_to_close({"M1", "M2"}, [registry_meter(meter_id="M2")]) == {"M1"}


def late(
    reading: ReadingAccepted, counted: ReadingAccepted | None, refused: str = "accepted"
) -> LateReadingRefused:
    return LateReadingRefused(
        reading_id=reading.reading_id,
        refused=refused,
        chat_id=9,
        account_number="A1",
        meter_id="M1",
        period=reading.period,
        value=reading.value if refused == "accepted" else None,
        closed_at=datetime(2025, 3, 26, tzinfo=UTC),
        counted_reading_id=counted.reading_id if counted else None,
        counted_value=counted.value if counted else None,
    )


def test_a_replacement_billing_refused_gives_way_to_the_reading_billing_counts() -> None:
    counted, replacement = accepted("2025-03", 260), accepted("2025-03", 270)
    state = fold([registered(), accepted("2025-02", 250), counted, replacement])
    [reconciled] = decide_reconciliation(state, late(replacement, counted), counted)
    assert (reconciled.refused, reconciled.refused_value, reconciled.chat_id) == ("accepted", Decimal(270), 9)
    assert (reconciled.counted_reading_id, reconciled.counted_value) == (counted.reading_id, Decimal(260))
    after = evolve(state, reconciled)
    current = after.reading_in("2025-03")
    assert current is not None and (current.reading_id, current.value) == (counted.reading_id, Decimal(260))
    assert after.previous_value("2025-04") == Decimal(260)


def test_a_first_reading_billing_refused_leaves_the_period_without_one() -> None:
    first = accepted("2025-03", 260)
    state = fold([registered(), accepted("2025-02", 250), first])
    [reconciled] = decide_reconciliation(state, late(first, None), None)
    after = evolve(state, reconciled)
    assert after.reading_in("2025-03") is None
    assert after.previous_value("2025-04") == Decimal(250)


def test_a_withdrawal_billing_refused_brings_the_reading_back() -> None:
    counted = accepted("2025-03", 260)
    state = fold(
        [
            registered(),
            counted,
            ReadingWithdrawn(
                reading_id=counted.reading_id, chat_id=1, account_number="A1", meter_id="M1", period="2025-03"
            ),
        ]
    )
    [reconciled] = decide_reconciliation(state, late(counted, counted, refused="withdrawn"), counted)
    assert reconciled.refused == "withdrawn" and reconciled.refused_value is None
    current = evolve(state, reconciled).reading_in("2025-03")
    assert current is not None and current.reading_id == counted.reading_id


def test_nothing_to_reconcile_when_the_meter_already_holds_what_billing_counts() -> None:
    counted, replacement = accepted("2025-03", 260), accepted("2025-03", 270)
    state = fold([registered(), counted])  # e.g. the replacement was withdrawn meanwhile
    assert decide_reconciliation(state, late(replacement, counted), counted) == []
    assert decide_reconciliation(MeterState(), late(replacement, counted), counted) == []
