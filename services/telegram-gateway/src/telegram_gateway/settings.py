"""Gateway settings from the environment (METERBOT_*). Telegram's own settings (token, API URL,
admin chat) live in meterbot_platform.settings.TelegramSettings (fixed names, DESIGN §6)."""

from __future__ import annotations

from urllib.parse import urlsplit

from meterbot_platform.settings import PeriodSettings
from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict


class GatewaySettings(PeriodSettings):  # METERBOT_PERIOD_TIME_ZONE: also how lock-out times are shown
    model_config = SettingsConfigDict(env_prefix="METERBOT_", extra="ignore")

    # Webhook mode when the URL is set (Telegram POSTs updates to it); polling otherwise.
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    # A command's answer arrives as an event; past this the resident is told to try again later.
    gateway_reply_timeout: float = Field(default=10.0, gt=0)
    gateway_rate_limit_messages: int = Field(default=20, ge=1)
    gateway_rate_limit_window: float = Field(default=10.0, gt=0)
    support_email: str = "hot@mfc.msk.ru"

    @property
    def webhook_enabled(self) -> bool:
        return bool(self.telegram_webhook_url)

    @property
    def webhook_path(self) -> str:
        """The path Telegram POSTs to on our HTTP port (the URL's path, behind any proxy)."""
        path = urlsplit(self.telegram_webhook_url or "").path
        return path if path not in ("", "/") else "/telegram/webhook"
