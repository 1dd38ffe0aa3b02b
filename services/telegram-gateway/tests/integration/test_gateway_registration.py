"""Registration through the real dispatcher and the local Bot API: /start -> contact -> PhoneShared on
Kafka -> identity's event -> main menu (or a clear refusal)."""

from __future__ import annotations

import time

import pytest
from meterbot_contracts.identity import PhoneShared
from meterbot_testing.resident import ResidentFactory
from meterbot_testing.services import ServiceDouble

from .gateway_harness import GatewayHarness

pytestmark = pytest.mark.integration

MAIN_MENU = [
    ["Написать администратору"],
    ["Справка", "Начать работу"],
    ["Дополнительно"],
    ["Удалить мои данные"],
    ["Напоминания: вкл/выкл"],
]
WORK_MENU = [["Добавить ЛС", "Выбрать ЛС"], ["Удалить ЛС", "Выход"]]


async def test_own_contact_registers_and_shows_the_main_menu(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    anna = new_resident(first_name="Анна", phone_number="+79001112233")
    greeting = await anna.say("/start")
    assert "Отправить мой номер" in (greeting.text or "")
    assert greeting.reply_markup == {
        "keyboard": [[{"text": "Отправить мой номер", "request_contact": True}]],
        "resize_keyboard": True,
    }

    started = time.perf_counter()
    menu = await anna.press("Отправить мой номер")
    latency = time.perf_counter() - started
    assert menu.buttons == MAIN_MENU
    assert "Регистрация выполнена" in (menu.text or "")
    [command] = services.commands(PhoneShared, chat_id=anna.chat_id)
    assert (command.user_id, command.contact_user_id, command.phone) == (
        anna.chat_id,
        anna.chat_id,
        "+79001112233",
    )
    assert latency < 5.0

    # Registered now: /start opens the work buttons, as the seed manual's «Добавить ЛС» section says
    # («наберите в поле ввода сообщения /start ... В ответ появятся четыре кнопки»); case does not matter.
    for start in ("/start", "/START", "/Start"):
        again = await anna.say(start)
        assert again.buttons == WORK_MENU, start
        assert (again.text or "").startswith("Выберите действие: «Добавить ЛС»")


async def test_someone_elses_contact_is_refused(
    gateway: GatewayHarness, new_resident: ResidentFactory
) -> None:
    boris, neighbour = new_resident(first_name="Борис"), new_resident(first_name="Сосед")
    await boris.say("/start")
    await boris.resident.share_contact(contact_user_id=neighbour.chat_id)
    refusal = await boris.next()
    assert "Это не ваш номер" in (refusal.text or "")
    assert refusal.buttons == [["Отправить мой номер"]]
    unknown = await boris.say("Начать работу")  # not registered: everything leads back to the button
    assert "Сначала зарегистрируйтесь" in (unknown.text or "")


async def test_help_and_unknown_input_always_answer(
    gateway: GatewayHarness, new_resident: ResidentFactory
) -> None:
    vera = new_resident()
    help_text = await vera.say("/help")
    assert "/exit" in (help_text.text or "") and "abonent@example.org" in (help_text.text or "")
    await vera.register()
    assert (await vera.press("Справка")).text == help_text.text
    assert "Не понимаю" in ((await vera.say("привет")).text or "")
    await vera.resident.send_sticker()
    assert "Не понимаю" in ((await vera.next()).text or "")


async def test_english_residents_get_english(gateway: GatewayHarness, new_resident: ResidentFactory) -> None:
    john = new_resident(first_name="John", language_code="en")
    greeting = await john.say("/start")
    assert "Send my number" in (greeting.text or "")
    menu = await john.press("Send my number")
    assert menu.buttons == [
        ["Write to the administrator"],
        ["Help", "Start"],
        ["More"],
        ["Delete my data"],
        ["Reminders: on/off"],
    ]


async def test_a_contact_without_a_phone_is_answered_and_never_sent(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    """Issue 18 item 5: an empty phone made PhoneShared invalid and the handler crashed (no reply)."""
    lena = new_resident()
    await lena.say("/start")
    contact = {"phone_number": "", "first_name": "Лена", "user_id": lena.chat_id}
    lena.resident.api._post(lena.chat_id, {"contact": contact})
    answer = await lena.next()
    assert (answer.text or "").startswith("Номер телефона не получен")
    assert answer.buttons == [["Отправить мой номер"]]
    assert services.commands(PhoneShared, chat_id=lena.chat_id) == []
