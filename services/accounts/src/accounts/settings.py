"""Settings of the link rules (METERBOT_ACCOUNTS_*), turned into the domain's LinkAttemptPolicy, and
the surname key (METERBOT_SURNAME_*), turned into the domain's SurnameKeyring.

METERBOT_ACCOUNTS_LINK_MAX_FAILURES          wrong tries per chat before link attempts are refused, 5
METERBOT_ACCOUNTS_LINK_WINDOW_HOURS          the sliding window those tries are counted in, 24
METERBOT_ACCOUNTS_ACCOUNT_LINK_MAX_FAILURES  wrong tries per account number (any chat) in that window, 10
METERBOT_SURNAME_KEY                         secret of the surname MAC (>= 32 characters); unset: a
                                             public development key and a loud warning at every start
METERBOT_SURNAME_KEY_ID                      its id, stored with every digest (rotation), `1`
METERBOT_SURNAME_PREVIOUS_KEYS               `id:secret,id:secret` still matched while rotating
METERBOT_SURNAME_ACCEPT_UNKEYED              match digests made before keys (plain SHA-256), true"""

from __future__ import annotations

import logging
from datetime import timedelta

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from accounts.domain import LinkAttemptPolicy, SurnameKeyring

log = logging.getLogger(__name__)

# Public on purpose: it makes `meterbot up` work out of the box and protects nothing.
DEVELOPMENT_KEY_ID = "dev"
DEVELOPMENT_KEY = b"meterbot-development-surname-key-NOT-SECRET"


class AccountsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="METERBOT_ACCOUNTS_", extra="ignore")

    link_max_failures: int = Field(default=5, ge=1)
    link_window_hours: float = Field(default=24, gt=0)
    account_link_max_failures: int = Field(default=10, ge=1)

    def link_policy(self) -> LinkAttemptPolicy:
        return LinkAttemptPolicy(
            max_failures=self.link_max_failures, window=timedelta(hours=self.link_window_hours)
        )

    def account_link_policy(self) -> LinkAttemptPolicy:
        return LinkAttemptPolicy(
            max_failures=self.account_link_max_failures, window=timedelta(hours=self.link_window_hours)
        )


class SurnameKeySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="METERBOT_SURNAME_", extra="ignore")

    key: SecretStr | None = Field(default=None, min_length=32)
    key_id: str = Field(default="1", pattern=r"^[A-Za-z0-9_.-]{1,32}$")
    previous_keys: SecretStr | None = None
    accept_unkeyed: bool = True

    def keyring(self) -> SurnameKeyring:
        previous = {}
        for item in (self.previous_keys.get_secret_value() if self.previous_keys else "").split(","):
            if item.strip():
                key_id, _, secret = item.strip().partition(":")
                previous[key_id] = secret.encode()
        if self.key is None:
            log.warning(
                "METERBOT_SURNAME_KEY is not set: surname digests use the PUBLIC development key, so "
                "anyone who reads the accounts events can test surnames offline. Set a secret of 32+ "
                "characters (k8s Secret meterbot-secrets) before real residents use this."
            )
            return SurnameKeyring(
                DEVELOPMENT_KEY_ID, DEVELOPMENT_KEY, previous, accept_unkeyed=self.accept_unkeyed
            )
        return SurnameKeyring(
            self.key_id, self.key.get_secret_value().encode(), previous, accept_unkeyed=self.accept_unkeyed
        )
