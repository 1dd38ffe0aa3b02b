"""Settings of the link rules (METERBOT_ACCOUNTS_*), turned into the domain's LinkAttemptPolicy.

METERBOT_ACCOUNTS_LINK_MAX_FAILURES   wrong tries per chat before link attempts are refused, 5
METERBOT_ACCOUNTS_LINK_WINDOW_HOURS   the sliding window those tries are counted in, 24"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from accounts.domain import LinkAttemptPolicy


class AccountsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="METERBOT_ACCOUNTS_", extra="ignore")

    link_max_failures: int = Field(default=5, ge=1)
    link_window_hours: float = Field(default=24, gt=0)

    def link_policy(self) -> LinkAttemptPolicy:
        return LinkAttemptPolicy(
            max_failures=self.link_max_failures, window=timedelta(hours=self.link_window_hours)
        )
