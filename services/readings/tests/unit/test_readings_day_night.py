"""Issue 14 item 4: T1 and T2 of a two-tariff electricity meter are recorded together or not at all,
each checked by its own rule."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st
from meterbot_contracts.readings import (
    DayNightReadingSubmitted,
    MeterRegistered,
    MeterType,
    ReadingAccepted,
    ReadingRejectedV2,
)
from readings.domain import MeterState, ReadingPolicy, fold
from readings.domain.day_night import decide_day_night

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
POLICY = ReadingPolicy()


def register(meter_id: str, meter_type: MeterType, previous: str, serial: str = "SN-1") -> MeterState:
    return fold(
        [
            MeterRegistered(
                meter_id=meter_id,
                account_number="A1",
                meter_type=meter_type,
                serial_number=serial,
                verified_until=date(2030, 1, 1),
                last_value=Decimal(previous),
                last_value_date=date(2026, 11, 30),
            )
        ]
    )


DAY = register("T1", MeterType.ELECTRICITY_DAY, "1000")
NIGHT = register("T2", MeterType.ELECTRICITY_NIGHT, "500")


def decide(day_raw: str, night_raw: str, night: MeterState = NIGHT) -> list[object]:
    command = DayNightReadingSubmitted(
        chat_id=7,
        account_number="A1",
        meter_id="T1",
        raw_value=day_raw,
        night_meter_id="T2",
        night_raw_value=night_raw,
    )
    return list(
        decide_day_night(
            DAY, night, command, now=NOW, reading_ids=(uuid4(), uuid4()), chat_linked=True, policy=POLICY
        )
    )


def test_both_accepted_each_on_its_own_meter() -> None:
    day, night = decide("1010", "505")
    assert isinstance(day, ReadingAccepted) and isinstance(night, ReadingAccepted)
    assert (day.meter_id, day.value, night.meter_id, night.value) == ("T1", Decimal(1010), "T2", Decimal(505))


@given(st.integers(min_value=0, max_value=2000), st.integers(min_value=0, max_value=2000))
def test_either_refused_keeps_neither(day_value: int, night_value: int) -> None:
    answers = decide(str(day_value), str(night_value))
    day_ok, night_ok = 1000 <= day_value <= 1100, 500 <= night_value <= 600
    if day_ok and night_ok:
        assert [type(a) for a in answers] == [ReadingAccepted, ReadingAccepted]
        return
    [refused] = answers
    assert isinstance(refused, ReadingRejectedV2)
    assert (refused.meter_id, refused.pair_meter_id) == (("T1", "T2") if not day_ok else ("T2", "T1"))


def test_registers_of_different_meters_are_no_pair() -> None:
    [refused] = decide("1010", "505", night=register("T2", MeterType.ELECTRICITY_NIGHT, "500", serial="SN-2"))
    assert isinstance(refused, ReadingRejectedV2)
    assert refused.reason == "unknown_meter"
