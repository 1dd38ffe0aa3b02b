"""Settings of the readings rules (METERBOT_READINGS_*), turned into the domain's ReadingPolicy.

    METERBOT_READINGS_WINDOW_DAYS     days of the month readings are accepted, "1-31", "15-25", "1-5,20-31"
    METERBOT_READINGS_MAX_DELTA       largest increase over the previous value, 100
    METERBOT_READINGS_MAX_DELTA_HEAT  the same for one meter type (COLD_WATER, HOT_WATER, HEAT, ELECTRICITY,
                                      ELECTRICITY_DAY, ELECTRICITY_NIGHT, GAS); unset = MAX_DELTA
    METERBOT_READINGS_ANOMALY_K       K: a consumption above K × the meter's median monthly one is asked
                                      about (3)
    METERBOT_READINGS_NORM_COLD_WATER per-type norm per person a month (× the registry's residents) above
                                      which the resident is asked to confirm (any type; cold water 6.935,
                                      hot water 4.745 by default, others none)
The billing time zone (period = calendar month there) is the platform's METERBOT_PERIOD_TIME_ZONE,
passed in by the composition root (main.py), which reads every setting once. A bad value stops the
service at start, with the setting named."""

from __future__ import annotations

from decimal import Decimal

from meterbot_contracts.readings import MeterType
from meterbot_platform.settings import PeriodSettings
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from readings.domain import ReadingPolicy, SubmissionWindow
from readings.domain.policy import DEFAULT_ANOMALY_K, DEFAULT_MAX_DELTA, DEFAULT_NORMS


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
    anomaly_k: Decimal = Field(default=DEFAULT_ANOMALY_K, gt=0)
    norm_cold_water: Decimal | None = Field(default=DEFAULT_NORMS[MeterType.COLD_WATER], ge=0)
    norm_hot_water: Decimal | None = Field(default=DEFAULT_NORMS[MeterType.HOT_WATER], ge=0)
    norm_heat: Decimal | None = Field(default=None, ge=0)
    norm_electricity: Decimal | None = Field(default=None, ge=0)
    norm_electricity_day: Decimal | None = Field(default=None, ge=0)
    norm_electricity_night: Decimal | None = Field(default=None, ge=0)
    norm_gas: Decimal | None = Field(default=None, ge=0)

    @field_validator("window_days")
    @classmethod
    def _window(cls, value: str) -> str:
        SubmissionWindow.parse(value)  # WindowSpecError is a ValueError: reported with the setting name
        return value

    def per_type_max_delta(self) -> dict[MeterType, int]:
        deltas = {t: getattr(self, f"max_delta_{t.value}") for t in MeterType}
        return {t: d for t, d in deltas.items() if d is not None}

    def per_type_norms(self) -> dict[MeterType, Decimal]:
        norms = {t: getattr(self, f"norm_{t.value}") for t in MeterType}
        return {t: n for t, n in norms.items() if n is not None}

    def policy(self, periods: PeriodSettings) -> ReadingPolicy:
        """The rules with the billing time zone (read with the other settings in main.py)."""
        return ReadingPolicy(
            time_zone=periods.time_zone,
            window=SubmissionWindow.parse(self.window_days),
            default_max_delta=self.max_delta,
            max_delta=self.per_type_max_delta(),
            anomaly_k=self.anomaly_k,
            norms=self.per_type_norms(),
        )
