"""Resident-facing texts: one TOML file per locale (ru default, en second)."""

from telegram_gateway.i18n.catalogue import DEFAULT_LOCALE, Catalogue, Texts, load_catalogue

__all__ = ["DEFAULT_LOCALE", "Catalogue", "Texts", "load_catalogue"]
