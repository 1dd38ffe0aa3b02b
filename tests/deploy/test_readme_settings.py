"""The README's settings table lists every METERBOT_ setting the services read (issue 11 item 13:
about nine were missing). Reads the settings classes themselves, so a new field fails here until
it is documented."""

from __future__ import annotations

from pathlib import Path

import pytest
from accounts.settings import AccountsSettings, SurnameKeySettings
from billing_export.access import ExportApiSettings
from meterbot_platform import settings as platform
from pydantic_settings import BaseSettings
from readings.settings import ReadingsSettings
from telegram_gateway.info import InfoSettings
from telegram_gateway.settings import GatewaySettings

pytestmark = pytest.mark.unit

README = Path(__file__).resolve().parents[2] / "README.md"
CLASSES: tuple[type[BaseSettings], ...] = (
    platform.PostgresSettings,
    platform.KafkaSettings,
    platform.PeriodSettings,
    platform.HttpSettings,
    platform.LogSettings,
    platform.TelegramSettings,
    GatewaySettings,
    ReadingsSettings,
    AccountsSettings,
    SurnameKeySettings,
    ExportApiSettings,
    InfoSettings,
)
# Per-type limits are documented as METERBOT_READINGS_MAX_DELTA[_<TYPE>].
PATTERNED = "METERBOT_READINGS_MAX_DELTA"


def env_names(cls: type[BaseSettings]) -> set[str]:
    prefix = str(cls.model_config.get("env_prefix", ""))
    return {f"{prefix}{name}".upper() for name in cls.model_fields}


def test_every_setting_is_in_the_readme_table() -> None:
    table = README.read_text(encoding="utf-8")
    names = set().union(*(env_names(cls) for cls in CLASSES))
    missing = sorted(n for n in names if f"`{n}`" not in table and not n.startswith(PATTERNED))
    assert missing == []
    assert "`METERBOT_READINGS_MAX_DELTA[_<TYPE>]`" in table
