"""Period = calendar month in the billing time zone; window = accepted days of month."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from meterbot_contracts.readings import MeterType
from readings.domain import ReadingPolicy, SubmissionWindow, WindowSpecError, period_of

pytestmark = pytest.mark.unit

MOSCOW = ZoneInfo("Europe/Moscow")


def test_late_evening_utc_on_the_last_day_is_already_next_month_in_moscow() -> None:
    # given 31 Jan 22:30 UTC = 1 Feb 01:30 MSK
    at = datetime(2025, 1, 31, 22, 30, tzinfo=UTC)
    assert period_of(at, MOSCOW) == "2025-02"
    assert period_of(at, ZoneInfo("UTC")) == "2025-01"


def test_new_year_boundary() -> None:
    assert period_of(datetime(2024, 12, 31, 20, 59, 59, tzinfo=UTC), MOSCOW) == "2024-12"
    assert period_of(datetime(2024, 12, 31, 21, 0, tzinfo=UTC), MOSCOW) == "2025-01"


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        period_of(datetime(2025, 1, 1), MOSCOW)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_period_is_the_local_month(at: datetime) -> None:
    local = at.astimezone(MOSCOW)
    assert period_of(at, MOSCOW) == f"{local.year:04d}-{local.month:02d}"


@pytest.mark.parametrize(
    ("spec", "ranges"),
    [
        ("1-31", ((1, 31),)),
        ("15-25", ((15, 25),)),
        ("1-5,20-31", ((1, 5), (20, 31))),
        (" 1 - 5 , 10 ", ((1, 5), (10, 10))),
    ],
)
def test_window_spec_parses(spec: str, ranges: tuple[tuple[int, int], ...]) -> None:
    assert SubmissionWindow.parse(spec).ranges == ranges


@pytest.mark.parametrize("spec", ["", "0-5", "5-1", "1-32", "a-b", "1-", "1-5,,7", "1-2-3"])
def test_bad_window_spec_is_refused(spec: str) -> None:
    with pytest.raises(WindowSpecError):
        SubmissionWindow.parse(spec)


def test_window_days_are_inclusive() -> None:
    window = SubmissionWindow.parse("1-5,20-31")
    open_days = [d for d in range(1, 32) if window.is_open(date(2025, 1, d))]
    assert open_days == [1, 2, 3, 4, 5, *range(20, 32)]


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)))
def test_default_window_is_every_day(day: date) -> None:
    assert ReadingPolicy().window.is_open(day)


def test_policy_takes_window_as_text_and_max_delta_per_type() -> None:
    policy = ReadingPolicy.model_validate(
        {"window": "15-25", "max_delta": {"electricity": 1000}, "time_zone": "Asia/Yekaterinburg"}
    )
    assert str(policy.window) == "15-25"
    assert policy.max_delta_for(MeterType.ELECTRICITY) == 1000
    assert policy.max_delta_for(MeterType.COLD_WATER) == 100
    assert policy.time_zone.utcoffset(datetime(2025, 1, 1)) == timedelta(hours=5)


def test_policy_refuses_zero_max_delta() -> None:
    with pytest.raises(ValueError, match="max_delta"):
        ReadingPolicy.model_validate({"max_delta": {"gas": 0}})
