"""METERBOT_READINGS_* -> the domain's ReadingPolicy; bad values stop the service at start."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from meterbot_contracts.readings import MeterType
from meterbot_platform.settings import PeriodSettings
from pydantic import ValidationError
from readings.settings import ReadingsSettings

pytestmark = pytest.mark.unit

MOSCOW = ZoneInfo("Europe/Moscow")


def settings(**values: Any) -> ReadingsSettings:
    """The settings from these values and the defaults alone: a prefix no variable has keeps the
    environment out (the service passes what it read once; tests pass values)."""
    return ReadingsSettings(_env_prefix="METERBOT_TEST_NO_SUCH_PREFIX_", **values)


def test_defaults_are_every_day_and_100() -> None:
    policy = settings().policy(PeriodSettings(period_time_zone="Europe/Moscow"))
    assert policy.time_zone == MOSCOW
    assert all(policy.window.is_open(date(2025, 2, day)) for day in range(1, 29))
    assert {policy.max_delta_for(t) for t in MeterType} == {100}


def test_zone_window_and_deltas() -> None:
    policy = settings(
        window_days="15-25", max_delta=50, max_delta_heat=3, max_delta_electricity_night=900
    ).policy(PeriodSettings(period_time_zone="Asia/Yekaterinburg"))
    assert policy.time_zone == ZoneInfo("Asia/Yekaterinburg")
    assert policy.window.is_open(date(2025, 3, 15)) and not policy.window.is_open(date(2025, 3, 26))
    assert policy.max_delta_for(MeterType.HEAT) == 3
    assert policy.max_delta_for(MeterType.ELECTRICITY_NIGHT) == 900
    assert policy.max_delta_for(MeterType.GAS) == 50


def test_the_environment_names_are_the_documented_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one test of the names themselves (README settings table); everything else passes values."""
    monkeypatch.setenv("METERBOT_READINGS_WINDOW_DAYS", "1-5,20-31")
    monkeypatch.setenv("METERBOT_READINGS_MAX_DELTA_GAS", "7")
    read = ReadingsSettings()
    assert (read.window_days, read.max_delta_gas) == ("1-5,20-31", 7)


@pytest.mark.parametrize(
    ("field", "value"),
    [("window_days", "25-15"), ("window_days", "every day"), ("max_delta", 0), ("max_delta_gas", -1)],
)
def test_bad_settings_are_refused_by_name(field: str, value: object) -> None:
    with pytest.raises(ValidationError, match=field):
        settings(**{field: value})
