"""Settings of the readings rules (METERBOT_READINGS_*), turned into the domain's ReadingPolicy.

    METERBOT_READINGS_WINDOW_DAYS     days of the month readings are accepted, "1-31", "15-25", "1-5,20-31"
    METERBOT_READINGS_MAX_DELTA       largest increase over the previous value, 100
    METERBOT_READINGS_MAX_DELTA_HEAT  the same for one meter type (COLD_WATER, HOT_WATER, HEAT, ELECTRICITY,
                                      ELECTRICITY_DAY, ELECTRICITY_NIGHT, GAS); unset = MAX_DELTA
The billing time zone (period = calendar month there) is the platform's METERBOT_PERIOD_TIME_ZONE,
passed in by the composition root (main.py), which reads every setting once. A bad value stops the
service at start, with the setting named."""

from __future__ import annotations

from meterbot_contracts.readings import MeterType
from meterbot_platform.settings import PeriodSettings
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from readings.domain import ReadingPolicy, SubmissionWindow
from readings.domain.policy import DEFAULT_MAX_DELTA


class ReadingsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="METERBOT_READINGS_", extra="ignore")

    window_days: str = "1-31"
    max_delta: int = Field(default=DEFAULT_MAX_DELTA, ge=1)
    max_delta_cold_water: int | None = Field(default=None, ge=1)
    max_delta_hot_water: int | None = Field(default=None, ge=1)
    max_delta_heat: int | None = Field(default=None, ge=1)
    max_delta_electricity: int | None = Field(default=None, ge=1)
    max_delta_electricity_day: int | None = Field(default=None, ge=1)
    max_delta_electricity_night: int | None = Field(default=None, ge=1)
    max_delta_gas: int | None = Field(default=None, ge=1)

    @field_validator("window_days")
    @classmethod
    def _window(cls, value: str) -> str:
        SubmissionWindow.parse(value)  # WindowSpecError is a ValueError: reported with the setting name
        return value

    def per_type_max_delta(self) -> dict[MeterType, int]:
        deltas = {t: getattr(self, f"max_delta_{t.value}") for t in MeterType}
        return {t: d for t, d in deltas.items() if d is not None}

    def policy(self, periods: PeriodSettings) -> ReadingPolicy:
        """The rules with the billing time zone (read with the other settings in main.py)."""
        return ReadingPolicy(
            time_zone=periods.time_zone,
            window=SubmissionWindow.parse(self.window_days),
            default_max_delta=self.max_delta,
            max_delta=self.per_type_max_delta(),
        )
