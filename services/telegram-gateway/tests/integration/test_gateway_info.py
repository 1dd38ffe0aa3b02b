"""Issue 15 through the real dispatcher and the local Bot API server: «Баланс» on an account,
«Дополнительно» and each of its pages, /begin and /go_back from an input, /language."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from meterbot_contracts.accounts import BalanceRecorded
from meterbot_testing.resident import ResidentFactory
from meterbot_testing.services import ServiceDouble

from .gateway_harness import GatewayHarness
from .gateway_steps import add_meter, link

pytestmark = pytest.mark.integration


def new_number() -> str:
    return str(uuid.uuid4().int)[:9]


async def test_balance_on_the_account_menu(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    anna = new_resident()
    await anna.register()
    fresh, old, none = new_number(), new_number(), new_number()
    for n in (fresh, old, none):
        await link(anna, services, n)
    today = date.today()
    for n, as_of, amount in (
        (fresh, today - timedelta(days=3), "1520.30"),
        (old, today - timedelta(days=46), "10"),
    ):
        await services.publish(
            BalanceRecorded(
                account_number=n, amount_due=Decimal(amount), currency="RUB", as_of=as_of, due_date=None
            )
        )
        await gateway.wait_for("SELECT true FROM rm_balances WHERE account_number = $1", n)

    actions = await anna.choose_account(fresh)
    shown = await anna.tap(actions, "Баланс")
    assert (
        shown.text
        == f"Лицевой счет {fresh}\nК оплате: 1 520,30 ₽\nПо состоянию на {today - timedelta(days=3):%d.%m.%Y}"
    )
    shown = await anna.tap(await anna.choose_account(old), "Баланс")
    assert (shown.text or "").endswith("Сведения старше 45 дней и могут быть неактуальны.")
    shown = await anna.tap(await anna.choose_account(none), "Баланс")
    assert shown.text == f"Сведений о балансе лицевого счета {none} пока нет."
    # another chat's account through a forged button: not shown
    forged = await anna.tap_forged(actions, f"acc:bal:{new_number()}")
    assert "не относится" in (forged.text or "") or "не закреплен" in (forged.text or ""), forged.text


async def test_more_menu_and_its_pages(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    boris = new_resident()
    await boris.register()
    more = await boris.press("Дополнительно")
    assert (more.text or "").startswith("Дополнительно:")
    for label in ("Абонент", "Новости", "Компания", "Версия бота", "Вопросы", "Руководство", "В начало"):
        assert boris.sees(label), label
    assert (await boris.press("Абонент")).text == (
        "За этим чатом не закреплено ни одного лицевого счета. Закрепите его: «Начать работу» → «Добавить ЛС»."
    )
    n = new_number()
    await link(boris, services, n, surname="Мамин-Сибиряк", address="ул. Ленина, 1")
    await add_meter(gateway, services, n, f"{n}-cw")
    await boris.say("/begin")
    await boris.press("Дополнительно")
    page = await boris.press("Абонент")
    assert page.text == (
        f"Лицевой счет {n}\nАдрес: ул. Ленина, 1\nСобственник: М****-С******\nПриборов учета: 1\n"
        "Последние показания: еще не передавались"
    )
    assert "Мамин" not in (page.text or "")
    company = await boris.press("Компания")
    assert (company.text or "").startswith("ООО «Управляющая компания «Пример»\nАдрес:")
    assert "Телефоны:" in (company.text or "") and "Режим работы:" in (company.text or "")
    assert ((await boris.press("Версия бота")).text or "").startswith(
        "Бот передачи показаний приборов учета, версия "
    )
    assert ((await boris.press("Вопросы")).text or "").startswith("Частые вопросы")
    assert ((await boris.press("Руководство")).text or "").startswith("Руководство пользователя: https://")
    home = await boris.press("В начало")
    assert home.text == "Вы в начале. Выберите действие кнопкой ниже."
    assert boris.sees("Начать работу") and boris.sees("Дополнительно")


async def test_begin_and_go_back_from_an_input(
    gateway: GatewayHarness, new_resident: ResidentFactory
) -> None:
    vera = new_resident()
    await vera.register()
    await vera.open_work_menu()
    await vera.press("btn.add_account")
    back = await vera.say("/go_back")
    assert back.text == "Вы вернулись на шаг назад." and vera.sees("Добавить ЛС")
    assert (await vera.say("123")).text != "Лицевой счет 123 введен Для подтверждения введите фамилию"
    await vera.open_work_menu()
    await vera.press("btn.add_account")
    begin = await vera.say("/begin")
    assert begin.text == "Вы в начале. Выберите действие кнопкой ниже." and vera.sees("Начать работу")
    assert (await vera.say("/go_back")).text == "Вы вернулись на шаг назад." and vera.sees("Справка")
    stranger = new_resident()
    assert "номер" in ((await stranger.say("/begin")).text or "")  # not registered: share the phone first


async def test_language_follows_telegram_and_language_switches_it(
    gateway: GatewayHarness, new_resident: ResidentFactory
) -> None:
    john = new_resident(language_code="en")
    await john.register()
    assert ((await john.press("More")).text or "").startswith("More:")
    choose = await john.say("/language")
    assert choose.text == "Выберите язык / Choose the language:"
    switched = await john.tap(choose, "Русский")
    assert switched.text == "Язык бота: русский." and john.sees("Дополнительно")
    assert ((await john.press("Дополнительно")).text or "").startswith("Дополнительно:")
    back = await john.tap(await john.say("/language"), "English")
    assert back.text == "Bot language: English."
    await john.press("More")
    assert ((await john.press("Company")).text or "").startswith("Example Management Company LLC")


async def test_the_command_menu_offers_begin_go_back_and_language(
    gateway: GatewayHarness, new_resident: ResidentFactory
) -> None:
    bot = new_resident().resident.api.bot
    menus = {key: [c["command"] for c in commands] for key, commands in bot.commands.items()}
    assert menus  # set at start, default and per locale
    for names in menus.values():
        assert {"begin", "go_back", "language"} <= set(names), names
