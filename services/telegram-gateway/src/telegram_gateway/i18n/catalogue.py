"""A tiny message catalogue: `{locale}.toml` files of `key = "template"` (str.format placeholders),
nested tables flattened to dotted keys. Loaded once at start; handlers only ever name keys."""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_LOCALE = "ru"
LOCALES_DIR = Path(__file__).parent


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}."))
        elif isinstance(value, str):
            flat[name] = value
        else:
            raise TypeError(f"{name}: a text must be a string, not {type(value).__name__}")
    return flat


def placeholders(template: str) -> set[str]:
    """The named fields a template uses ("{number}" -> {"number"})."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@dataclass(frozen=True)
class Texts:
    """The texts of one locale. `t("account.entered", number="123")` -> the formatted string."""

    locale: str
    messages: Mapping[str, str]
    params: Mapping[str, str] = field(default_factory=dict)  # filled into every text (e.g. email)

    def __call__(self, key: str, **values: object) -> str:
        template = self.messages[key]  # a missing key is a bug: fail loudly
        return template.format(**{**self.params, **values}) if "{" in template else template


@dataclass(frozen=True)
class Catalogue:
    locales: Mapping[str, Mapping[str, str]]
    default: str = DEFAULT_LOCALE
    params: Mapping[str, str] = field(default_factory=dict)

    def pick(self, language_code: str | None) -> str:
        """The locale for a Telegram language_code ("en-GB" -> "en"); the default otherwise."""
        code = (language_code or "").split("-")[0].lower()
        return code if code in self.locales else self.default

    def texts(self, locale_or_language: str | None) -> Texts:
        locale = self.pick(locale_or_language)
        return Texts(locale, self.locales[locale], self.params)

    def labels(self, key: str) -> frozenset[str]:
        """A button's label in every locale: handlers match whichever keyboard the resident has."""
        return frozenset(messages[key] for messages in self.locales.values() if key in messages)


def load_catalogue(
    directory: Path = LOCALES_DIR, params: Mapping[str, str] | None = None, default: str = DEFAULT_LOCALE
) -> Catalogue:
    locales = {
        path.stem: _flatten(tomllib.loads(path.read_text(encoding="utf-8")))
        for path in sorted(directory.glob("*.toml"))
    }
    if default not in locales:
        raise FileNotFoundError(f"no {default}.toml in {directory}")
    return Catalogue(locales, default, dict(params or {}))
