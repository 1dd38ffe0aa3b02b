"""Personal accounts through the real dispatcher: add (linked, wrong pair, unknown, locked out),
choose, remove, input checks, /exit and menu buttons leaving an input, forged buttons."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from meterbot_contracts.accounts import (
    AccountLinkRefused,
    AccountLinkRequested,
    AccountUnlinked,
    AccountUnlinkRequested,
)
from meterbot_testing.resident import ResidentFactory
from meterbot_testing.services import ServiceDouble
from telegram_gateway.periods import local_time

from .gateway_harness import GatewayHarness
from .gateway_steps import link

pytestmark = pytest.mark.integration
MSK = ZoneInfo("Europe/Moscow")


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
    until = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=3)
    locked = await services.serve(
        vera.add_account("43", "Сидорова"),
        AccountLinkRequested,
        lambda c: AccountLinkRefused(
            chat_id=c.chat_id, account_number=c.account_number, reason="locked_out", locked_until=until
        ),
        chat_id=vera.chat_id,
    )
    assert f"заблокировано до {local_time(until, MSK)} (Europe/Moscow)" in (locked.text or "")


async def test_unknown_number_counts_and_the_last_try_says_when_the_lock_ends(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    """Issue 11 item 4: an unknown number counts as a try and says so; the fifth wrong try names the
    lock's end (not «Осталось попыток: 0»); while locked, «Добавить ЛС» says so at once."""
    zoya = new_resident()
    await zoya.register()
    unknown = await services.serve(
        zoya.add_account("404", "Сидорова"),
        AccountLinkRequested,
        lambda c: AccountLinkRefused(
            chat_id=c.chat_id, account_number=c.account_number, reason="unknown_account", attempts_left=3
        ),
        chat_id=zoya.chat_id,
    )
    assert "не найден" in (unknown.text or "")
    assert "Попытка засчитана как неудачная. Осталось попыток: 3." in (unknown.text or "")
    until = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=2)
    n = number()
    await services.serve(
        zoya.add_account(n, "Петров"),
        AccountLinkRequested,
        lambda c: AccountLinkRefused(
            chat_id=c.chat_id,
            account_number=c.account_number,
            reason="wrong_pair",
            attempts_left=0,
            locked_until=until,
        ),
        chat_id=zoya.chat_id,
    )
    advice = (await zoya.next()).text or ""
    assert "Осталось попыток: 0" not in advice
    assert f"заблокировано до {local_time(until, MSK)} (Europe/Moscow)" in advice
    await gateway.wait_for("SELECT true FROM rm_link_locks WHERE chat_id = $1", zoya.chat_id)
    up_front = await zoya.press("Добавить ЛС")
    assert "Слишком много неудачных попыток" in (up_front.text or "")
    assert local_time(until, MSK) in (up_front.text or "")
    assert "Не понимаю" in ((await zoya.say("12345")).text or "")  # not asked for a number


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
    assert left.buttons == [
        ["Написать администратору"],
        ["Справка", "Начать работу"],
        ["Дополнительно"],
        ["Удалить мои данные"],
        ["Напоминания: вкл/выкл"],
    ]
    assert "Не понимаю" in ((await dina.say("123")).text or "")  # no longer taken as an account number
    back = await dina.press("Начать работу")
    assert back.buttons == [["Добавить ЛС", "Выбрать ЛС"], ["Удалить ЛС", "Выход"]]
    assert (await dina.press("Выход")).text == "Вы в главном меню."


async def test_choose_and_remove_accounts(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    egor = new_resident()
    await egor.register()
    first, second = "9" + number(), "1" + number()  # linked in this order, listed by number
    await link(egor, services, first, address="ул. Мира, 3")
    await link(egor, services, second)
    accounts = await egor.press("Выбрать ЛС")
    assert accounts.text == "Выберите лицевой счет:" and accounts.buttons == [[second], [first]]
    actions = await egor.tap(accounts, first)
    assert actions.text == f"Лицевой счет {first} (ул. Мира, 3). Выберите действие:"
    assert actions.buttons == [
        ["Ввести показания"],
        ["Посмотреть переданные показания"],
        ["Архив показаний"],
        ["Информация о приборах"],
        ["Баланс"],
    ]

    removal = await egor.press("Удалить ЛС")
    assert removal.buttons == [[second], [first]]
    question = await egor.tap(removal, first)
    assert question.text and question.text.startswith(f"Открепить лицевой счет {first} от чата?")
    assert question.buttons == [["Да", "Нет"]]
    unlinked = await services.serve(
        egor.tap(question, "Да"),
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


async def test_an_old_remove_button_asks_first_and_an_old_yes_does_nothing(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    """Issue 11 item 1: after /exit an old «Удалить ЛС» account button no longer unlinks at once;
    «Нет» keeps the account; a «Да» from a question the chat has left does nothing and says so."""
    fedor = new_resident()
    await fedor.register()
    n = number()
    await link(fedor, services, n)
    removal = await fedor.press("Удалить ЛС")
    assert (await fedor.say("/exit")).text == "Отменять нечего: никакой ввод не начат. Вы в главном меню."
    question = await fedor.tap(removal, n)  # the old list, after /exit
    assert question.buttons == [["Да", "Нет"]]
    kept = await fedor.tap(question, "Нет")
    assert kept.text == "Лицевой счет остается закрепленным за чатом. Ничего не изменено."
    stale_yes = await fedor.tap(question, "Да")
    assert stale_yes.text and stale_yes.text.startswith("Этот вопрос уже неактуален: ничего не изменено.")
    again = await fedor.tap(removal, n)
    await fedor.say("/exit")  # leaves the question
    stale = await fedor.tap(again, "Да")
    assert "ничего не изменено" in (stale.text or "")
    assert services.commands(AccountUnlinkRequested, chat_id=fedor.chat_id) == []
    await fedor.open_work_menu()
    assert (await fedor.press("Выбрать ЛС")).buttons == [[n]]


async def test_blank_surname_or_one_with_nul_is_answered_and_never_sent(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    """Issue 18 item 5: such a surname crashed the handler (spaces) or reached accounts (NUL)."""
    galya = new_resident()
    await galya.register()
    await galya.open_work_menu()
    await galya.press("Добавить ЛС")
    await galya.say("123")
    for bad in ("\u200b \u200b", "Ив\x00анов", "\x00"):  # Telegram itself drops all-space texts
        answer = await galya.say(bad)
        assert "фамилию собственника текстом" in (answer.text or ""), bad
    assert services.commands(AccountLinkRequested, chat_id=galya.chat_id) == []
    assert (await galya.say("/exit")).text == "Ввод прерван. Вы в главном меню."
