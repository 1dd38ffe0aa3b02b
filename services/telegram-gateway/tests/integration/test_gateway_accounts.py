"""Personal accounts through the real dispatcher: add (linked, wrong pair, unknown, locked out),
choose, remove, input checks, /exit and menu buttons leaving an input, forged buttons."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from meterbot_contracts.accounts import (
    AccountLinkRefused,
    AccountLinkRequested,
    AccountUnlinked,
    AccountUnlinkRequested,
)
from telegram_gateway.testing import GatewayHarness, ResidentFactory, ServiceDouble

from .gateway_steps import link

pytestmark = pytest.mark.integration


def number() -> str:
    return str(uuid.uuid4().int)[:10]


async def test_add_account_links_it(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    anna = new_resident()
    await anna.register()
    n = number()
    linked = await link(anna, services, n, "Мамин-Сибиряк", address="ул. Ленина, 1, кв. 5")
    assert linked.text == f"Лицевой счет {n} закреплен. Адрес: ул. Ленина, 1, кв. 5"
    sent = services.commands(AccountLinkRequested, chat_id=anna.chat_id)
    assert [(c.account_number, c.surname) for c in sent] == [(n, "Мамин-Сибиряк")]


async def test_wrong_pair_quotes_number_and_surname(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    boris = new_resident()
    await boris.register()
    n = number()
    refused = await services.serve(
        boris.add_account(n, "Петров"),
        AccountLinkRequested,
        lambda c: AccountLinkRefused(
            chat_id=c.chat_id, account_number=c.account_number, reason="wrong_pair", attempts_left=4
        ),
        chat_id=boris.chat_id,
    )
    assert refused.text == f"Лицевой счет {n} Введена фамилия Петров Не верное сочетание {n} и Петров"
    advice = await boris.next()
    assert "abonent@example.org" in (advice.text or "") and "Осталось попыток: 4" in (advice.text or "")


async def test_unknown_account_and_locked_out(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    vera = new_resident()
    await vera.register()
    unknown = await services.serve(
        vera.add_account("42", "Сидорова"),
        AccountLinkRequested,
        lambda c: AccountLinkRefused(
            chat_id=c.chat_id, account_number=c.account_number, reason="unknown_account"
        ),
        chat_id=vera.chat_id,
    )
    assert unknown.text and unknown.text.startswith("Лицевой счет 42 не найден")
    until = datetime(2026, 7, 1, 6, 5, tzinfo=UTC)
    locked = await services.serve(
        vera.add_account("43", "Сидорова"),
        AccountLinkRequested,
        lambda c: AccountLinkRefused(
            chat_id=c.chat_id, account_number=c.account_number, reason="locked_out", locked_until=until
        ),
        chat_id=vera.chat_id,
    )
    assert "заблокировано до 01.07.2026 09:05 (время московское)" in (locked.text or "")


async def test_number_must_be_digits_and_surname_text(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    gleb = new_resident()
    await gleb.register()
    await gleb.press("Начать работу")
    assert (await gleb.press("Добавить ЛС")).text == "Введите лицевой счет:"
    assert "только цифрами" in ((await gleb.say("12a-4")).text or "")
    await gleb.resident.send_photo()
    assert "только цифрами" in ((await gleb.next()).text or "")  # still waiting for the number
    assert "не может быть длиннее 32" in ((await gleb.say("1" * 33)).text or "")
    assert (await gleb.say(" 123 ")).text == "Лицевой счет 123 введен Для подтверждения введите фамилию"
    await gleb.resident.send_sticker()
    assert "фамилию собственника текстом" in ((await gleb.next()).text or "")
    # A menu button leaves the input: it is not taken for a surname.
    choose = await gleb.press("Выбрать ЛС")
    assert "не закреплен ни один лицевой счет" in (choose.text or "")
    assert services.commands(AccountLinkRequested, chat_id=gleb.chat_id) == []


async def test_exit_leaves_the_input(gateway: GatewayHarness, new_resident: ResidentFactory) -> None:
    dina = new_resident()
    await dina.register()
    await dina.press("Начать работу")
    await dina.press("Добавить ЛС")
    left = await dina.say("/exit")
    assert left.text == "Ввод прерван. Вы в главном меню."
    assert left.buttons == [["Написать администратору"], ["Справка", "Начать работу"]]
    assert "Не понимаю" in ((await dina.say("123")).text or "")  # no longer taken as an account number
    back = await dina.press("Начать работу")
    assert back.buttons == [["Добавить ЛС", "Выбрать ЛС"], ["Удалить ЛС", "Выход"]]
    assert (await dina.press("Выход")).text == "Вы в главном меню."


async def test_choose_and_remove_accounts(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    egor = new_resident()
    await egor.register()
    first, second = number(), number()
    await link(egor, services, first, address="ул. Мира, 3")
    await link(egor, services, second)
    accounts = await egor.press("Выбрать ЛС")
    assert accounts.text == "Выберите лицевой счет:" and accounts.buttons == [[first], [second]]
    actions = await egor.tap(accounts, first)
    assert actions.text == f"Лицевой счет {first} (ул. Мира, 3). Выберите действие:"
    assert actions.buttons == [["Ввести показания"], ["Посмотреть переданные показания"]]

    removal = await egor.press("Удалить ЛС")
    assert removal.buttons == [[first], [second]]
    unlinked = await services.serve(
        egor.tap(removal, first),
        AccountUnlinkRequested,
        lambda c: AccountUnlinked(chat_id=c.chat_id, account_number=c.account_number),
        chat_id=egor.chat_id,
    )
    assert unlinked.text == f"Лицевой счет {first} откреплен от чата."
    assert (await egor.press("Выбрать ЛС")).buttons == [[second]]


async def test_forged_buttons_are_refused(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    owner, intruder = new_resident(), new_resident()
    await owner.register()
    await intruder.register()
    theirs = number()
    await link(owner, services, theirs)
    mine = number()
    await link(intruder, services, mine)
    accounts = await intruder.press("Выбрать ЛС")
    for data in (f"acc:sel:{theirs}", f"acc:unl:{theirs}", f"acc:ent:{theirs}", f"acc:view:{theirs}"):
        refused = await intruder.tap_forged(accounts, data)
        assert refused.text and refused.text.startswith("Этот лицевой счет не закреплен за вашим чатом"), data
    outdated = await intruder.tap_forged(accounts, "something:else")
    assert "кнопка больше не действует" in (outdated.text or "")
    assert [c for c in services.commands(AccountUnlinkRequested) if c.account_number == theirs] == []
