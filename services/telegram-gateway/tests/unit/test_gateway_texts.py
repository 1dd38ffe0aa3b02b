"""The catalogue: every key in every locale with the same placeholders; the fixed Russian texts."""

from __future__ import annotations

import pytest
from telegram_gateway.i18n import load_catalogue
from telegram_gateway.i18n.catalogue import placeholders

pytestmark = pytest.mark.unit

catalogue = load_catalogue(params={"email": "abonent@example.org"})


def test_ru_is_default_and_en_is_second() -> None:
    assert catalogue.default == "ru"
    assert set(catalogue.locales) == {"ru", "en"}


def test_every_key_exists_in_every_locale() -> None:
    ru, en = catalogue.locales["ru"], catalogue.locales["en"]
    assert sorted(set(ru) - set(en)) == []
    assert sorted(set(en) - set(ru)) == []


def test_placeholders_agree_across_locales() -> None:
    ru, en = catalogue.locales["ru"], catalogue.locales["en"]
    differing = {
        key: (placeholders(ru[key]), placeholders(en[key]))
        for key in ru
        if placeholders(ru[key]) != placeholders(en[key])
    }
    assert differing == {}


@pytest.mark.parametrize(
    ("language_code", "locale"),
    [("ru", "ru"), ("en", "en"), ("en-GB", "en"), ("de", "ru"), (None, "ru"), ("", "ru")],
)
def test_language_code_picks_the_locale(language_code: str | None, locale: str) -> None:
    assert catalogue.texts(language_code).locale == locale


def test_fixed_russian_labels_and_texts() -> None:
    t = catalogue.texts("ru")
    assert [t(f"btn.{k}") for k in ("share_phone", "write_admin", "help", "start_work")] == [
        "Отправить мой номер",
        "Написать администратору",
        "Справка",
        "Начать работу",
    ]
    assert [t(f"btn.{k}") for k in ("add_account", "select_account", "remove_account", "exit")] == [
        "Добавить ЛС",
        "Выбрать ЛС",
        "Удалить ЛС",
        "Выход",
    ]
    assert t("btn.enter_readings") == "Ввести показания"
    assert t("btn.view_readings") == "Посмотреть переданные показания"
    assert t("account.enter_number") == "Введите лицевой счет:"
    assert t("account.entered", number="123") == "Лицевой счет 123 введен Для подтверждения введите фамилию"
    assert "закреплен" in t("account.linked", number="123")
    assert t("account.wrong_pair", number="1", surname="Ив") == (
        "Лицевой счет 1 Введена фамилия Ив Не верное сочетание 1 и Ив"
    )
    assert t("reading.prompt", meter="Газ G1", prev="5") == "Введите значение для прибора учета Газ G1 (5)"
    assert t("reading.saved") == "Информация сохранена"


def test_every_text_formats_with_its_placeholders() -> None:
    for locale in catalogue.locales:
        t = catalogue.texts(locale)
        for key, template in catalogue.locales[locale].items():
            assert t(key, **{name: "x" for name in placeholders(template)})


def test_user_text_is_not_reinterpreted() -> None:
    t = catalogue.texts("ru")
    assert t("admin.reply_to_resident", text="{email} {0}") == "Ответ администратора:\n{email} {0}"


def test_english_texts_use_no_russian_quotes() -> None:
    quoted = {key: text for key, text in catalogue.locales["en"].items() if "«" in text or "»" in text}
    assert quoted == {}


def test_texts_quote_settings_not_fixed_values() -> None:
    """The help and the refusals name the limits the readings service applies (settings), not 100 or
    «время московское» written into a text."""
    t = load_catalogue(params={"email": "e", "max_delta": "40", "days": "15-25", "tz": "Asia/Omsk"}).texts(
        "ru"
    )
    help_text = t("help.text")
    assert "на 40" in help_text and "15-25 числа" in help_text and "Asia/Omsk" in help_text
    assert "100" not in help_text
    assert all("московск" not in text for text in catalogue.locales["ru"].values())
