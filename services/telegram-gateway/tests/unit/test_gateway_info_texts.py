"""Issue 15's pure pieces: the 45-day rule, money and the balance text in both languages, the masked
owner, the /missing CSV, and every new text present in ru and en with the same placeholders."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram_gateway.bot.info_texts import (
    MISSING_CSV_HEADER,
    STALE_AFTER_DAYS,
    balance_is_stale,
    balance_text,
    missing_csv,
    money,
)
from telegram_gateway.i18n import load_catalogue
from telegram_gateway.i18n.catalogue import placeholders
from telegram_gateway.readmodel.info import BalanceView, MissingRow, mask_surname

pytestmark = pytest.mark.unit

CATALOGUE = load_catalogue()
RU, EN = CATALOGUE.texts("ru"), CATALOGUE.texts("en")
TODAY = date(2026, 12, 1)


@given(st.integers(min_value=-400, max_value=400))
def test_stale_after_45_days_exactly(age: int) -> None:
    assert balance_is_stale(TODAY - timedelta(days=age), TODAY) == (age > STALE_AFTER_DAYS)


def test_money_in_each_language() -> None:
    assert money(RU, Decimal("1520.3"), "RUB") == "1 520,30 ₽"
    assert money(EN, Decimal("1520.3"), "RUB") == "1,520.30 RUB"
    assert money(RU, Decimal("12"), "EUR") == "12,00 EUR"


def test_balance_text() -> None:
    view = BalanceView(
        "100001", Decimal("10.00"), "RUB", TODAY - timedelta(days=46), TODAY + timedelta(days=3)
    )
    assert balance_text(RU, "100001", view, TODAY) == (
        "Лицевой счет 100001\nК оплате: 10,00 ₽\nПо состоянию на 16.10.2026\nОплатить до 04.12.2026\n"
        "Сведения старше 45 дней и могут быть неактуальны."
    )
    assert balance_text(EN, "100001", None, TODAY) == "There is no balance for personal account 100001 yet."


@pytest.mark.parametrize(
    ("surname", "masked"),
    [("Иванов", "И*****"), ("Мамин-Сибиряк", "М****-С******"), ("ёлкина", "Ё*****"), ("Ли", "Л*")],
)
def test_the_owner_is_masked(surname: str, masked: str) -> None:
    assert mask_surname(surname) == masked


def test_missing_csv_quotes_addresses() -> None:
    data = missing_csv([MissingRow("1", 'ул. "Мира", 3', "m-1", "gas", 2)]).decode()
    assert list(csv.reader(io.StringIO(data))) == [
        list(MISSING_CSV_HEADER),
        ["1", 'ул. "Мира", 3', "m-1", "gas", "2"],
    ]


def test_every_new_text_is_in_both_languages_with_the_same_placeholders() -> None:
    ru, en = CATALOGUE.locales["ru"], CATALOGUE.locales["en"]
    new = [k for k in ru if k.split(".")[0] in {"info", "balance", "admin_tools", "language"}]
    assert len(new) > 40
    for key in new:
        assert key in en, key
        assert placeholders(ru[key]) == placeholders(en[key]), key
