"""billing-export settings (METERBOT_BILLING_EXPORT_*).

METERBOT_BILLING_EXPORT_TIMEZONE  billing time zone, Europe/Moscow (as METERBOT_READINGS_TIMEZONE):
                                  a period that has not begun there yet cannot be closed"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class BillingExportSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="METERBOT_BILLING_EXPORT_", extra="ignore")

    timezone: str = "Europe/Moscow"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @property
    def time_zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
