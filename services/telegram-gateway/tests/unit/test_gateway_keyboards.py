"""Keyboards are pure builders: labels, one button per account/meter, callback payloads."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from aiogram.types import InlineKeyboardMarkup, ReplyKeyboardMarkup
from meterbot_contracts.readings import MeterType
from telegram_gateway.bot.callbacks import AccountAction, AccountCb, MeterCb
from telegram_gateway.bot.keyboards import (
    account_actions,
    accounts_keyboard,
    contact_keyboard,
    main_menu,
    meter_label,
    meters_keyboard,
    work_menu,
)
from telegram_gateway.i18n import load_catalogue
from telegram_gateway.readmodel import LinkedAccount, MeterView

pytestmark = pytest.mark.unit

ru = load_catalogue().texts("ru")
en = load_catalogue().texts("en")


def texts(markup: ReplyKeyboardMarkup | InlineKeyboardMarkup) -> list[list[str]]:
    rows = markup.keyboard if isinstance(markup, ReplyKeyboardMarkup) else markup.inline_keyboard
    return [[b.text for b in row] for row in rows]


def meter(meter_id: str, meter_type: MeterType = MeterType.COLD_WATER) -> MeterView:
    return MeterView(meter_id, "100", meter_type, "SN1", date(2030, 1, 1), Decimal("12.5"))


def test_contact_keyboard_requests_the_contact() -> None:
    markup = contact_keyboard(ru)
    assert texts(markup) == [["Отправить мой номер"]]
    assert markup.keyboard[0][0].request_contact is True


def test_main_and_work_menus_hold_the_fixed_labels() -> None:
    assert sorted(b for row in texts(main_menu(ru)) for b in row) == sorted(
        [
            "Написать администратору",
            "Справка",
            "Начать работу",
            "Дополнительно",
            "Удалить мои данные",
            "Напоминания: вкл/выкл",
        ]
    )
    assert sorted(b for row in texts(work_menu(ru)) for b in row) == sorted(
        ["Добавить ЛС", "Выбрать ЛС", "Удалить ЛС", "Выход"]
    )


@pytest.mark.parametrize(
    ("meter_type", "words"),
    [
        (MeterType.COLD_WATER, "Холодная вода"),
        (MeterType.HOT_WATER, "Горячая вода"),
        (MeterType.HEAT, "Отопление"),
        (MeterType.ELECTRICITY, "Электроэнергия"),
        (MeterType.ELECTRICITY_DAY, "Электроэнергия (день)"),
        (MeterType.ELECTRICITY_NIGHT, "Электроэнергия (ночь)"),
        (MeterType.GAS, "Газ"),
    ],
)
def test_meter_label_holds_type_in_words_and_meter_id(meter_type: MeterType, words: str) -> None:
    assert meter_label(ru, meter_type, "M-77") == f"{words} M-77"


def test_every_meter_type_has_a_name_in_every_locale() -> None:
    for t in (ru, en):
        assert all(meter_label(t, mt, "X").endswith(" X") for mt in MeterType)


def test_one_button_even_for_a_single_meter() -> None:
    markup = meters_keyboard(ru, [meter("M-1")])
    assert texts(markup) == [["Холодная вода M-1"]]
    assert MeterCb.unpack(markup.inline_keyboard[0][0].callback_data or "") == MeterCb(ref="M-1")


def test_one_button_per_meter_and_per_account() -> None:
    markup = meters_keyboard(ru, [meter("M-1"), meter("M-2", MeterType.GAS)])
    assert texts(markup) == [["Холодная вода M-1"], ["Газ M-2"]]
    accounts = accounts_keyboard(
        [LinkedAccount("100", ""), LinkedAccount("200", "ул. Мира")], AccountAction.UNLINK
    )
    assert texts(accounts) == [["100"], ["200"]]
    datas = [AccountCb.unpack(row[0].callback_data or "") for row in accounts.inline_keyboard]
    assert datas == [
        AccountCb(action=AccountAction.UNLINK, ref="100"),
        AccountCb(action=AccountAction.UNLINK, ref="200"),
    ]


def test_account_actions() -> None:
    markup = account_actions(ru, "100")
    assert texts(markup) == [
        ["Ввести показания"],
        ["Посмотреть переданные показания"],
        ["Архив показаний"],
        ["Информация о приборах"],
        ["Баланс"],
    ]
    actions = [AccountCb.unpack(row[0].callback_data or "").action for row in markup.inline_keyboard]
    assert actions == [
        AccountAction.ENTER,
        AccountAction.VIEW,
        AccountAction.ARCHIVE,
        AccountAction.METERS,
        AccountAction.BALANCE,
    ]


def test_callback_data_of_long_ids_fits_telegram() -> None:
    markup = meters_keyboard(ru, [meter("M" * 64), meter("a:b")])
    for row in markup.inline_keyboard:
        assert len((row[0].callback_data or "").encode()) <= 64
