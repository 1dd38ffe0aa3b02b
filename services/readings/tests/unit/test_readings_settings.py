"""METERBOT_READINGS_* -> the domain's ReadingPolicy; bad values stop the service at start."""

from __future__ import annotations

import os
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from meterbot_contracts.readings import MeterType
from meterbot_platform.settings import PeriodSettings
from pydantic import ValidationError
from readings.settings import ReadingsSettings

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("METERBOT_READINGS_")]:
        monkeypatch.delenv(name)


def test_defaults_are_moscow_every_day_and_100() -> None:
    policy = ReadingsSettings().policy(PeriodSettings())
    assert policy.time_zone == ZoneInfo("Europe/Moscow")
    assert all(policy.window.is_open(date(2025, 2, day)) for day in range(1, 29))
    assert {policy.max_delta_for(t) for t in MeterType} == {100}


def test_environment_sets_zone_window_and_deltas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METERBOT_PERIOD_TIME_ZONE", "Asia/Yekaterinburg")
    monkeypatch.setenv("METERBOT_READINGS_WINDOW_DAYS", "15-25")
    monkeypatch.setenv("METERBOT_READINGS_MAX_DELTA", "50")
    monkeypatch.setenv("METERBOT_READINGS_MAX_DELTA_HEAT", "3")
    monkeypatch.setenv("METERBOT_READINGS_MAX_DELTA_ELECTRICITY_NIGHT", "900")
    policy = ReadingsSettings().policy(PeriodSettings())
    assert policy.time_zone == ZoneInfo("Asia/Yekaterinburg")
    assert policy.window.is_open(date(2025, 3, 15)) and not policy.window.is_open(date(2025, 3, 26))
    assert policy.max_delta_for(MeterType.HEAT) == 3
    assert policy.max_delta_for(MeterType.ELECTRICITY_NIGHT) == 900
    assert policy.max_delta_for(MeterType.GAS) == 50


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("METERBOT_READINGS_WINDOW_DAYS", "25-15"),
        ("METERBOT_READINGS_WINDOW_DAYS", "every day"),
        ("METERBOT_READINGS_MAX_DELTA", "0"),
        ("METERBOT_READINGS_MAX_DELTA_GAS", "-1"),
    ],
)
def test_bad_settings_are_refused_by_name(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    field = name.removeprefix("METERBOT_READINGS_").lower()
    with pytest.raises(ValidationError, match=field):
        ReadingsSettings()
