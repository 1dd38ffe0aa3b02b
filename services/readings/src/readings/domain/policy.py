"""Settings the readings rules take as an argument (the service's pydantic-settings class builds one)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from meterbot_contracts.readings import MeterType
from pydantic import BaseModel, ConfigDict, Field, field_validator

from readings.domain.period import SubmissionWindow

DEFAULT_TIME_ZONE = "Europe/Moscow"
DEFAULT_MAX_DELTA = 100
DEFAULT_ANOMALY_K = Decimal(3)
# m³ per person a month (Moscow's norms for flats with both water meters); other types: no norm
DEFAULT_NORMS: dict[MeterType, Decimal] = {
    MeterType.COLD_WATER: Decimal("6.935"),
    MeterType.HOT_WATER: Decimal("4.745"),
}


class ReadingPolicy(BaseModel):
    """Time zone of the billing period, submission window, max_delta per meter type, and the
    anomaly warning's K and per-type norms (per person a month)."""

    model_config = ConfigDict(frozen=True)

    time_zone: ZoneInfo = Field(default_factory=lambda: ZoneInfo(DEFAULT_TIME_ZONE))
    window: SubmissionWindow = Field(default_factory=SubmissionWindow.every_day)
    default_max_delta: int = Field(default=DEFAULT_MAX_DELTA, ge=1)
    max_delta: dict[MeterType, int] = Field(default_factory=dict)
    anomaly_k: Decimal = Field(default=DEFAULT_ANOMALY_K, gt=0)
    norms: dict[MeterType, Decimal] = Field(default_factory=lambda: dict(DEFAULT_NORMS))

    @field_validator("window", mode="before")
    @classmethod
    def _window_from_text(cls, value: Any) -> Any:
        return SubmissionWindow.parse(value) if isinstance(value, str) else value

    @field_validator("max_delta")
    @classmethod
    def _positive_deltas(cls, value: dict[MeterType, int]) -> dict[MeterType, int]:
        bad = {str(k): v for k, v in value.items() if v < 1}
        if bad:
            raise ValueError(f"max_delta must be >= 1, got {bad}")
        return value

    def max_delta_for(self, meter_type: MeterType) -> int:
        return self.max_delta.get(meter_type, self.default_max_delta)

    def norm_for(self, meter_type: MeterType) -> Decimal | None:
        return self.norms.get(meter_type)
