"""End to end: a real aiogram Bot + Dispatcher long-polling the local server over HTTP, residents acting."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest
from aiogram import Bot
from meterbot_botapi import ApiError, BotApiServer

if TYPE_CHECKING:
    from conftest import TinyBot

pytestmark = pytest.mark.integration

TOKEN = "123456:TEST-secret_token"  # the token the ``polling_bot`` fixture uses


async def test_start_contact_and_inline_flow(server: BotApiServer, polling_bot: Bot, tiny: TinyBot) -> None:
    me = await polling_bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123456, True, "meterbot123456_bot")

    anna = server.resident(TOKEN, 1001, first_name="Анна", phone_number="+79001234567")
    start = await anna.send_text("/start")
    assert start["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]

    greeting = await anna.next_bot_message()
    assert greeting.text == tiny.start_text
    assert greeting.chat_id == 1001 and greeting.message_id == start["message_id"] + 1
    assert greeting.reply_markup == {
        "keyboard": [[{"text": tiny.share_button, "request_contact": True}]],
        "resize_keyboard": True,
        "one_time_keyboard": True,
    }
    assert "reply_markup" not in greeting.message  # Telegram echoes only inline keyboards

    shared = await anna.press_button(tiny.share_button)
    assert shared["contact"] == {"phone_number": "+79001234567", "first_name": "Анна", "user_id": 1001}
    assert "text" not in shared

    confirmed = await anna.next_bot_message()
    assert confirmed.text == "Номер +79001234567 подтверждён."
    assert confirmed.reply_markup == {"remove_keyboard": True}
    menu = await anna.next_bot_message()
    assert menu.text == "Выберите счётчик:"
    assert menu.buttons == [["Холодная вода", "Горячая вода"]]
    assert menu.callback_data == ["meter:cold", "meter:hot"]
    assert menu.message["reply_markup"] == menu.reply_markup

    query = await anna.press_inline(menu, "meter:hot")
    answer = await anna.wait_for_callback_answer(query)
    assert answer.text == "Выбрано: Горячая вода" and answer.show_alert is False

    edited = await anna.wait_for_edit(menu)
    assert edited.text == "Счётчик: Горячая вода. Введите показание."
    assert edited.raw_text == edited.text and edited.entities == []
    assert edited.version == 1 and edited.edit_date is not None
    assert edited.reply_markup is None  # editMessageText without reply_markup drops the keyboard
    assert [m.message_id for m in anna.bot_messages()] == [2, 4, 5]


async def test_foreign_contact_is_refused(server: BotApiServer, polling_bot: Bot, tiny: TinyBot) -> None:
    server.residents(TOKEN).user(2002, first_name="Сосед", phone_number="+79990000000")
    boris = server.resident(TOKEN, 2001, first_name="Борис")
    sent = await boris.share_contact(contact_user_id=2002)
    assert sent["contact"] == {"phone_number": "+79990000000", "first_name": "Сосед", "user_id": 2002}
    assert sent["from"]["id"] == 2001
    assert (await boris.next_bot_message()).text == tiny.foreign_contact_text


async def test_non_text_messages_get_only_text_answer(
    server: BotApiServer, polling_bot: Bot, tiny: TinyBot
) -> None:
    vera = server.resident(TOKEN, 3001, first_name="Вера")
    photo = await vera.send_photo(caption="мой счётчик")
    assert photo["photo"][0]["width"] == 2 and photo["caption"] == "мой счётчик"
    assert (await vera.next_bot_message()).text == tiny.only_text
    document = await vera.send_document(b"cold;123\n", file_name="readings.csv")
    assert document["document"]["mime_type"] == "text/csv"
    assert (await vera.next_bot_message()).text == tiny.only_text
    await vera.send_sticker("🔥")
    assert (await vera.next_bot_message()).text == tiny.only_text
    assert [m.text for m in vera.bot_messages()] == [tiny.only_text] * 3


async def test_text_reply_quotes_the_user_message(
    server: BotApiServer, polling_bot: Bot, tiny: TinyBot
) -> None:
    gleb = server.resident(TOKEN, 4001)
    sent = await gleb.send_text("123,45")
    reply = await gleb.next_bot_message()
    assert reply.text == "Получено: 123,45"
    assert reply.reply_to_message_id == sent["message_id"]
    assert reply.message["reply_to_message"]["text"] == "123,45"


async def test_forged_inline_press_is_rejected(server: BotApiServer, polling_bot: Bot, tiny: TinyBot) -> None:
    dina = server.resident(TOKEN, 5001)
    await dina.send_text("/start")
    await dina.next_bot_message()
    await dina.press_button(tiny.share_button)
    await dina.next_bot_message()
    menu = await dina.next_bot_message()

    with pytest.raises(ApiError, match="no such callback button") as forged:
        await dina.press_inline(menu, "meter:gas")
    assert forged.value.error_code == 400
    with pytest.raises(ApiError, match="no such callback button"):
        await dina.press_inline(menu.message_id - 1, "meter:cold")  # the bot's message without a keyboard
    with pytest.raises(ApiError, match="not found"):
        await dina.press_inline(menu.message_id - 2, "meter:cold")  # the user's own contact message
    with pytest.raises(ApiError, match="not found"):
        await dina.press_inline(999, "meter:cold")

    await dina.wait_for_callback_answer(await dina.press_inline(menu, text="Холодная вода"))
    await dina.wait_for_edit(menu)
    with pytest.raises(ApiError, match="no such callback button"):  # the edit removed the keyboard
        await dina.press_inline(menu, "meter:cold")
    assert len(server.residents(TOKEN).callback_answers()) == 1


async def test_reply_button_must_be_on_the_current_keyboard(
    server: BotApiServer, polling_bot: Bot, tiny: TinyBot
) -> None:
    eva = server.resident(TOKEN, 6001)
    with pytest.raises(ApiError, match="no reply keyboard"):
        await eva.press_button(tiny.share_button)
    await eva.send_text("/start")
    await eva.next_bot_message()
    with pytest.raises(ApiError, match="not on the current reply keyboard"):
        await eva.press_button("Отмена")
    await eva.press_button(tiny.share_button)
    await eva.next_bot_message()  # this answer removes the keyboard
    with pytest.raises(ApiError, match="no reply keyboard"):
        await eva.press_button(tiny.share_button)


async def test_two_residents_at_once_get_separate_chats(
    server: BotApiServer, polling_bot: Bot, tiny: TinyBot
) -> None:
    ivan = server.resident(TOKEN, 7001, first_name="Иван")
    olga = server.resident(TOKEN, 7002, first_name="Ольга")
    ivan_replies, olga_replies = [], []
    for ivan_text, olga_text in (("/start", "/start"), ("кв. 12", "кв. 34")):
        await asyncio.gather(ivan.send_text(ivan_text), olga.send_text(olga_text))
        ivan_reply, olga_reply = await asyncio.gather(ivan.next_bot_message(), olga.next_bot_message())
        ivan_replies.append(ivan_reply)
        olga_replies.append(olga_reply)
    assert [m.text for m in ivan_replies] == [tiny.start_text, "Получено: кв. 12"]
    assert [m.text for m in olga_replies] == [tiny.start_text, "Получено: кв. 34"]
    assert {m.chat_id for m in ivan_replies} == {7001} and {m.chat_id for m in olga_replies} == {7002}
    assert [m.message_id for m in ivan_replies] == [2, 4]  # ids are per chat, shared by both sides
    assert [m.message_id for m in olga_replies] == [2, 4]
    assert ivan_replies[0].message["chat"] == {"id": 7001, "type": "private", "first_name": "Иван"}
