"""Commands and menu buttons act as commands in every input (never taken as a number, a surname, a
value or a message to the administrator); /exit says when there was nothing to cancel; group chats
get one answer; an update aiogram cannot parse is skipped and counted while polling carries on."""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections.abc import Callable

import pytest
from meterbot_botapi import BotApiServer
from meterbot_contracts.accounts import AccountLinkRequested
from meterbot_contracts.readings import MeterType, ReadingSubmitted
from meterbot_testing.resident import ResidentDriver, ResidentFactory
from meterbot_testing.services import ServiceDouble
from prometheus_client import REGISTRY

from .gateway_harness import GatewayHarness
from .gateway_steps import add_meter, link

pytestmark = pytest.mark.integration


async def into_input(
    resident: ResidentDriver, services: ServiceDouble, gateway: GatewayHarness, which: str
) -> None:
    """Put the resident into one of the bot's inputs."""
    await resident.open_work_menu()
    if which == "number":
        await resident.press("Добавить ЛС")
    elif which == "surname":
        await resident.press("Добавить ЛС")
        await resident.say("123")
    elif which == "admin":
        await resident.say("/exit")
        await resident.press("Написать администратору")
    elif which == "value":
        account, meter = str(uuid.uuid4().int)[:9], f"CW-{uuid.uuid4().hex[:8]}"
        await add_meter(gateway, services, account, meter, meter_type=MeterType.COLD_WATER)
        await link(resident, services, account)
        meters = await resident.meters(account)
        await resident.tap(meters, f"Холодная вода {meter}")


INPUTS = ("number", "surname", "admin", "value")


def surnames_sent(services: ServiceDouble, resident: ResidentDriver) -> set[str]:
    return {c.surname for c in services.commands(AccountLinkRequested, chat_id=resident.chat_id)}


@pytest.mark.parametrize("which", INPUTS)
async def test_commands_act_as_commands_in_every_input(
    which: str, gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    """Issue 11 item 3: /help keeps the input, /START (any case) and an unknown /nosuch are answered as
    commands, /exit cancels -- and none of them reaches a domain service or the admin chat."""
    anna = new_resident()
    await anna.register()
    await into_input(anna, services, gateway, which)
    assert ((await anna.say("/help")).text or "").startswith("Как передать показания")
    assert "Команда /nosuch неизвестна" in ((await anna.say("/nosuch")).text or "")
    assert (await anna.say("/exit")).text == "Ввод прерван. Вы в главном меню."
    await into_input(anna, services, gateway, which)
    assert (await anna.say("/START")).buttons == [["Добавить ЛС", "Выбрать ЛС"], ["Удалить ЛС", "Выход"]]
    assert (await anna.say("/exit")).text == "Отменять нечего: никакой ввод не начат. Вы в главном меню."
    assert surnames_sent(services, anna) <= {"Иванов"}  # only the setup's own links
    assert services.commands(ReadingSubmitted, chat_id=anna.chat_id) == []


EXPECTED = {
    "Добавить ЛС": ("Введите лицевой счет:",),
    "Выбрать ЛС": ("Выберите лицевой счет:", "К вашему чату не закреплен"),
    "Удалить ЛС": ("Выберите лицевой счет, который нужно открепить", "К вашему чату не закреплен"),
    "Выход": ("Вы в главном меню.",),
    "Начать работу": ("Выберите действие:",),
    "Справка": ("Как передать показания",),
    "Написать администратору": ("Напишите сообщение администратору",),
    "Удалить мои данные": ("Удалить ваши данные?",),
    "Дополнительно": ("Дополнительно:",),
    "Напоминания: вкл/выкл": ("Напоминания выключены", "Напоминания включены"),
}


@pytest.mark.parametrize("which", INPUTS)
async def test_every_menu_button_acts_in_every_input(
    which: str, gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    """Each button of the keyboard shown during an input does what it says, never taken as input."""
    boris = new_resident()
    await boris.register()
    await into_input(boris, services, gateway, which)
    buttons = [b for row in boris.keyboard() for b in row]
    assert buttons
    for button in buttons:
        answer = await boris.press(button)
        assert (answer.text or "").startswith(EXPECTED[button]), (which, button, answer.text)
        await boris.say("/exit")
        await into_input(boris, services, gateway, which)
    assert surnames_sent(services, boris) <= {"Иванов"}
    assert services.commands(ReadingSubmitted, chat_id=boris.chat_id) == []


async def eventually(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110  (a metric: nothing to await)
            await asyncio.sleep(0.02)


def _skipped(reason: str) -> float:
    labels = {"service": "telegram-gateway", "reason": reason}
    return REGISTRY.get_sample_value("meterbot_telegram_updates_skipped_total", labels) or 0.0


async def test_a_group_chat_is_told_once_to_write_privately(
    gateway: GatewayHarness, botapi: BotApiServer, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    """Issue 18 item 1: a group registered and linked an account, for every member to see."""
    member = new_resident()
    api = member.resident.api
    group_id = -(5_000_000 + uuid.uuid4().int % 1_000_000)
    api.open_group(group_id, "Дом 5, чат жильцов")
    chat = api.bot.chats[group_id]
    before = _skipped("group")
    for text in ("/start", "Начать работу", "/help"):
        msg = api.bot.add_message(
            chat,
            sender=api.world.user(member.chat_id).as_user(),
            from_bot=False,
            content={"text": text},
            raw_text=text,
            reply_to=None,
        )
        api.bot.push_update("message", copy.deepcopy(msg.data))
    told = await api.wait_for_bot_message(group_id, after=0, timeout=10)
    assert (told.text or "").startswith("Бот работает только в личном чате")
    await eventually(lambda: _skipped("group") >= before + 3)
    assert [m.text for m in api.bot_messages(group_id)] == [told.text]  # once, not per message
    assert await gateway.pool.fetchval("SELECT count(*) FROM rm_chats WHERE chat_id = $1", group_id) == 0


async def test_an_update_aiogram_cannot_parse_is_skipped_and_polling_goes_on(
    gateway: GatewayHarness, new_resident: ResidentFactory
) -> None:
    """Issue 18 item 6: one such update made every getUpdates fail, for everyone."""
    olga = new_resident()
    bot = olga.resident.api.bot
    before = _skipped("unparseable")
    bot.push_update("message", {"message_id": "not a number", "chat": None, "text": "/start"})
    greeting = await olga.say("/start")
    assert "Отправить мой номер" in (greeting.text or "")
    assert _skipped("unparseable") == before + 1
