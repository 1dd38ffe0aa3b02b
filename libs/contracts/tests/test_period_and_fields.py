"""The one billing period rule and the shared field limits (meterbot_contracts.period / .fields)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from meterbot_contracts.billing import PeriodClosed, RegistryMeter, RegistryRecord
from meterbot_contracts.fields import LINKABLE_ACCOUNT_NUMBER
from meterbot_contracts.period import is_period, period_of, split_period
from meterbot_contracts.readings import MeterType
from pydantic import ValidationError

pytestmark = pytest.mark.unit

MOSCOW = ZoneInfo("Europe/Moscow")


def test_the_period_is_the_month_in_the_billing_zone() -> None:
    assert period_of(datetime(2026, 4, 30, 21, 0, tzinfo=UTC), MOSCOW) == "2026-05"  # 00:00 in Moscow
    assert period_of(datetime(2026, 4, 30, 20, 59, tzinfo=UTC), MOSCOW) == "2026-04"
    with pytest.raises(ValueError, match="aware"):
        period_of(datetime(2026, 4, 30), MOSCOW)


@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9998, 12, 30)))
def test_every_instant_has_a_valid_period_that_splits_back(naive: datetime) -> None:
    at = naive.replace(tzinfo=UTC)
    period = period_of(at, MOSCOW)
    assert is_period(period)
    local = at.astimezone(MOSCOW)
    assert split_period(period) == (local.year, local.month)


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "26-01", "2026-1", "2026-01-01", " 2026-01"])
def test_events_refuse_what_is_not_a_period(text: str) -> None:
    assert not is_period(text)
    with pytest.raises(ValidationError):
        PeriodClosed(period=text, closed_at=datetime.now(UTC), readings_count=0)


def test_the_constrained_period_keeps_the_wire_format() -> None:
    closed = PeriodClosed(period="2026-11", closed_at=datetime(2026, 12, 1, tzinfo=UTC), readings_count=3)
    assert '"period":"2026-11"' in closed.model_dump_json()
    assert PeriodClosed.model_validate_json(closed.model_dump_json()) == closed


def test_registry_records_refuse_control_characters_but_keep_line_breaks() -> None:
    meter = RegistryMeter(meter_id="M1", meter_type=MeterType.GAS, serial_number="SN 1")
    assert RegistryRecord(account_number="1", surname="Иванов", address="дом 1\nкв. 2", meters=[meter])
    with pytest.raises(ValidationError, match="U\\+0000"):
        RegistryRecord(account_number="1", surname="Иванов", address="дом\x001")
    with pytest.raises(ValidationError, match="U\\+001B"):
        RegistryMeter(meter_id="M1", meter_type=MeterType.GAS, serial_number="SN\x1b1")


@pytest.mark.parametrize(
    ("number", "linkable"),
    [("100001", True), ("1" * 32, True), ("1" * 33, False), ("ЛС-1", False), ("12 34", False), ("", False)],
)
def test_linkable_account_numbers_are_what_a_resident_can_type(number: str, linkable: bool) -> None:
    assert (LINKABLE_ACCOUNT_NUMBER.fullmatch(number) is not None) is linkable
