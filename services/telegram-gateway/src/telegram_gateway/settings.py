"""Gateway settings from the environment (METERBOT_*). Telegram's own settings (token, API URL,
admin chat) live in meterbot_platform.settings.TelegramSettings (fixed names, DESIGN §6)."""

from __future__ import annotations

from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="METERBOT_", extra="ignore")

    # Webhook mode when the URL is set (Telegram POSTs updates to it); polling otherwise.
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    # A command's answer arrives as an event; past this the resident is told to try again later.
    gateway_reply_timeout: float = Field(default=10.0, gt=0)
    gateway_rate_limit_messages: int = Field(default=20, ge=1)
    gateway_rate_limit_window: float = Field(default=10.0, gt=0)
    # Billing period = calendar month in this zone (DESIGN §5); also how lock-out times are shown.
    period_time_zone: str = "Europe/Moscow"
    support_email: str = "hot@mfc.msk.ru"

    @property
    def webhook_enabled(self) -> bool:
        return bool(self.telegram_webhook_url)

    @property
    def webhook_path(self) -> str:
        """The path Telegram POSTs to on our HTTP port (the URL's path, behind any proxy)."""
        path = urlsplit(self.telegram_webhook_url or "").path
        return path if path not in ("", "/") else "/telegram/webhook"

    @property
    def time_zone(self) -> ZoneInfo:
        return ZoneInfo(self.period_time_zone)
