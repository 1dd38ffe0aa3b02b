"""The static pages of «Дополнительно»: the company's details and the FAQ (from files an operator
can replace: METERBOT_INFO_DIR), the manual's link (METERBOT_MANUAL_URL), the bot's version."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGED = Path(__file__).parent
DEFAULT_MANUAL_URL = "https://github.com/meterbot/meterbot/blob/main/README.md#try-it"
COMPANY_FIELDS = ("name", "address", "phones", "hours", "email")


class InfoSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="METERBOT_", extra="ignore")

    info_dir: Path = PACKAGED  # company.toml, faq.<locale>.md
    manual_url: str = DEFAULT_MANUAL_URL


@dataclass(frozen=True)
class InfoPages:
    company: dict[str, dict[str, str]]  # locale -> field -> text
    faq: dict[str, str]  # locale -> text
    manual_url: str
    version: str

    def company_of(self, locale: str, default: str = "ru") -> dict[str, str]:
        return self.company.get(locale) or self.company[default]

    def faq_of(self, locale: str, default: str = "ru") -> str:
        return self.faq.get(locale) or self.faq[default]


def bot_version() -> str:
    try:
        return version("telegram-gateway")
    except PackageNotFoundError:  # run from a source tree without metadata
        return "0"


def load_pages(settings: InfoSettings | None = None) -> InfoPages:
    """Read once at start; a missing or incomplete company file is an error at start, not a
    resident's surprise."""
    settings = settings or InfoSettings()
    raw = tomllib.loads((settings.info_dir / "company.toml").read_text(encoding="utf-8"))
    company: dict[str, dict[str, str]] = {}
    for locale, table in raw.items():
        missing = [f for f in COMPANY_FIELDS if not isinstance(table.get(f), str)]
        if missing:
            raise ValueError(f"{settings.info_dir / 'company.toml'} [{locale}]: missing {', '.join(missing)}")
        company[locale] = {f: table[f] for f in COMPANY_FIELDS}
    faq = {
        p.name.split(".")[1]: p.read_text(encoding="utf-8").strip()
        for p in settings.info_dir.glob("faq.*.md")
    }
    if "ru" not in company or "ru" not in faq:
        raise ValueError(f"{settings.info_dir}: company.toml [ru] and faq.ru.md are required")
    return InfoPages(company, faq, settings.manual_url, bot_version())
