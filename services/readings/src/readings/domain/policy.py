"""Settings the readings rules take as an argument (the service's pydantic-settings class builds one)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from meterbot_contracts.readings import MeterType
from pydantic import BaseModel, ConfigDict, Field, field_validator

from readings.domain.period import SubmissionWindow

DEFAULT_TIME_ZONE = "Europe/Moscow"
DEFAULT_MAX_DELTA = 100


class ReadingPolicy(BaseModel):
    """Time zone of the billing period, submission window and max_delta per meter type."""

    model_config = ConfigDict(frozen=True)

    time_zone: ZoneInfo = Field(default_factory=lambda: ZoneInfo(DEFAULT_TIME_ZONE))
    window: SubmissionWindow = Field(default_factory=SubmissionWindow.every_day)
    default_max_delta: int = Field(default=DEFAULT_MAX_DELTA, ge=1)
    max_delta: dict[MeterType, int] = Field(default_factory=dict)

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
