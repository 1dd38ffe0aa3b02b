"""Gateway settings from the environment (METERBOT_*). Telegram's own settings (token, API URL,
admin chat) live in meterbot_platform.settings.TelegramSettings (fixed names, DESIGN §6)."""

from __future__ import annotations

from urllib.parse import urlsplit

from meterbot_contracts.window import SubmissionWindow
from meterbot_platform.settings import PeriodSettings
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

SUPPORT_EMAIL_PLACEHOLDER = "support@example.invalid"


class GatewaySettings(PeriodSettings):  # METERBOT_PERIOD_TIME_ZONE: also how lock-out times are shown
    model_config = SettingsConfigDict(env_prefix="METERBOT_", extra="ignore")

    # Webhook mode when the URL is set (Telegram POSTs updates to it); polling otherwise.
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    # A command's answer arrives as an event; past this the resident is told to try again later.
    gateway_reply_timeout: float = Field(default=10.0, gt=0)
    gateway_rate_limit_messages: int = Field(default=20, ge=1)
    gateway_rate_limit_window: float = Field(default=10.0, gt=0)
    # The subscriber department's address residents are sent to; the operator must set it (a
    # warning at start otherwise), so no real office gets another operator's residents by default.
    support_email: str | None = None
    # Show residents' phone numbers in full in the admin chat (only if that chat is private to staff).
    admin_chat_trusted: bool = False
    # readings' own settings, read here too so the bot can say them before a value is typed.
    readings_window_days: str = "1-31"
    readings_max_delta: int = Field(default=100, ge=1)
    # The outbound queue (unasked messages): Telegram's limits, per bot over all replicas and per chat.
    outbound_messages_per_second: float = Field(default=30.0, gt=0)
    outbound_chat_interval: float = Field(default=1.0, ge=0)
    # Reminders: the second one this many days before the window's last day; how often rules run.
    reminder_days_before_close: int = Field(default=2, ge=0)
    notices_interval: float = Field(default=60.0, gt=0)
    # A resident who talked to the bot within this many seconds is reminded in a later round.
    notices_quiet: float = Field(default=600.0, ge=0)
    # Photo evidence (issue 14): the largest photo the bot downloads and keeps in its database.
    photo_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1)

    @field_validator("readings_window_days")
    @classmethod
    def _window(cls, value: str) -> str:
        SubmissionWindow.parse(value)
        return value

    @property
    def window(self) -> SubmissionWindow:
        return SubmissionWindow.parse(self.readings_window_days)

    @property
    def support_email_shown(self) -> str:
        return self.support_email or SUPPORT_EMAIL_PLACEHOLDER

    @property
    def webhook_enabled(self) -> bool:
        return bool(self.telegram_webhook_url)

    @property
    def webhook_path(self) -> str:
        """The path Telegram POSTs to on our HTTP port (the URL's path, behind any proxy)."""
        path = urlsplit(self.telegram_webhook_url or "").path
        return path if path not in ("", "/") else "/telegram/webhook"
