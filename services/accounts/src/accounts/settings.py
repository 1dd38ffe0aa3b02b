"""Settings of the link rules (METERBOT_ACCOUNTS_*), turned into the domain's LinkAttemptPolicy, and
the surname key (METERBOT_SURNAME_*), turned into the domain's SurnameKeyring.

METERBOT_ACCOUNTS_LINK_MAX_FAILURES          wrong tries per chat before link attempts are refused, 5
METERBOT_ACCOUNTS_LINK_WINDOW_HOURS          the sliding window those tries are counted in, 24
METERBOT_ACCOUNTS_ACCOUNT_LINK_MAX_FAILURES  wrong tries per account number (any chat) in that window, 10
METERBOT_SURNAME_KEY                         secret of the surname MAC (>= 32 characters), required:
                                             the service refuses to start without it (`meterbot up`
                                             makes one and keeps it in ~/.meterbot/surname.key, 0600)
METERBOT_SURNAME_KEY_ID                      its id, stored with every digest (rotation), `1`
METERBOT_SURNAME_PREVIOUS_KEYS               `id:secret,id:secret` still matched while rotating
METERBOT_SURNAME_ACCEPT_UNKEYED              match digests made before keys (plain SHA-256), true"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from accounts.domain import LinkAttemptPolicy, SurnameKeyring

MISSING_KEY = (
    "METERBOT_SURNAME_KEY is not set: accounts refuses to start. Surname digests are HMACs under this "
    "secret; without one, anyone who reads the accounts events could test candidate surnames offline. "
    "Set 32+ random characters (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`) "
    "from a secret store: k8s Secret meterbot-secrets, compose's .env. Keep it: digests made under "
    "one key match only that key (rotation: README, Surname key rotation). `meterbot up` makes one."
)


class SurnameKeyMissing(RuntimeError):
    """The service has no usable surname key: it must not start (its message says what to do)."""


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
            raise SurnameKeyMissing(MISSING_KEY)
        return SurnameKeyring(
            self.key_id, self.key.get_secret_value().encode(), previous, accept_unkeyed=self.accept_unkeyed
        )


def surname_keyring() -> SurnameKeyring:
    """The keyring from the environment, or SurnameKeyMissing with a message fit for an operator.
    pydantic's own error would echo the rejected value, i.e. (part of) a secret: only the field and
    the reason are kept."""
    try:
        return SurnameKeySettings().keyring()
    except ValidationError as exc:
        reasons = "; ".join(
            f"METERBOT_SURNAME_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise SurnameKeyMissing(
            f"unusable surname key settings ({reasons}): accounts refuses to start"
        ) from None
