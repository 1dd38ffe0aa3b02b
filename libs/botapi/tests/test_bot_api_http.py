"""The Bot API wire format over raw HTTP: encodings, errors, getUpdates semantics, messages and edits."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import Message, Update, User, WebhookInfo
from meterbot_botapi import ApiError, BotApiServer

if TYPE_CHECKING:
    from conftest import Api

pytestmark = pytest.mark.integration

TOKEN = "123456:TEST-secret_token"


async def test_get_me_over_get_post_json_and_form(server: BotApiServer, http: aiohttp.ClientSession) -> None:
    url = f"{server.base_url}/bot{TOKEN}/getMe"
    async with http.get(url) as resp:
        by_get = await resp.json()
    async with http.post(url, json={}) as resp:
        by_json = await resp.json()
    async with http.post(url, data={"unused": "1"}) as resp:
        by_form = await resp.json()
    assert by_get == by_json == by_form
    assert by_get["ok"] is True
    assert by_get["result"]["id"] == 123456 and by_get["result"]["is_bot"] is True
    assert by_get["result"]["username"] == "meterbot123456_bot"


async def test_wrong_token_is_401_and_unknown_method_404(api: Api) -> None:
    assert (await api.ok("getMe"))["id"] == 123456
    for token in ("not-a-token", "123456:another-secret"):
        status, body = await api.call("getMe", token=token)
        assert status == 401
        assert body == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    status, body = await api.call("sendTelepathy")
    assert status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
    assert (await api.ok("getme"))["id"] == 123456  # method names are case-insensitive


async def test_any_token_creates_its_own_bot(server: BotApiServer, api: Api) -> None:
    status, body = await api.call("getMe", token="777:other")
    assert status == 200 and body["result"]["id"] == 777
    await server.residents("777:other").send_text(1, "hi")
    assert len(await api.ok("getUpdates")) == 0  # bot 123456 sees nothing of bot 777
    _, updates = await api.call("getUpdates", token="777:other")
    assert [u["message"]["text"] for u in updates["result"]] == ["hi"]


async def test_get_updates_offset_semantics(server: BotApiServer, api: Api) -> None:
    residents = server.residents(TOKEN)
    for text in ("one", "two", "three"):
        await residents.send_text(42, text)
    updates = await api.ok("getUpdates")
    ids = [u["update_id"] for u in updates]
    assert [u["message"]["text"] for u in updates] == ["one", "two", "three"]
    assert ids == [ids[0], ids[0] + 1, ids[0] + 2]
    assert [u["message"]["text"] for u in await api.ok("getUpdates")] == [
        "one",
        "two",
        "three",
    ]  # not confirmed

    assert [u["update_id"] for u in await api.ok("getUpdates", offset=ids[1])] == ids[1:]  # confirms ids[0]
    assert [u["update_id"] for u in await api.ok("getUpdates", limit=1)] == [ids[1]]
    assert [u["update_id"] for u in await api.ok("getUpdates", offset=-1)] == [ids[2]]  # forgets the rest
    assert [u["update_id"] for u in await api.ok("getUpdates")] == [ids[2]]
    assert await api.ok("getUpdates", offset=ids[2] + 1, timeout=0) == []


async def test_long_poll_wakes_as_soon_as_an_update_arrives(server: BotApiServer, api: Api) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(api.ok("getUpdates", timeout=30))
    await server.residents(TOKEN).wait_until(lambda: server.world.bots[123456].poll_generation > 0)
    assert not poll.done()
    await server.residents(TOKEN).send_text(42, "показание 123")
    updates = await asyncio.wait_for(poll, 5)
    assert [u["message"]["text"] for u in updates] == ["показание 123"]
    assert time.monotonic() - started < 5


async def test_long_poll_times_out_empty(api: Api) -> None:
    started = time.monotonic()
    assert await api.ok("getUpdates", timeout=1) == []
    assert 0.9 <= time.monotonic() - started < 3


async def test_second_poller_terminates_the_first_with_409(server: BotApiServer, api: Api) -> None:
    first = asyncio.create_task(api.call("getUpdates", timeout=30))
    await server.residents(TOKEN).wait_until(lambda: server.world.bots[123456].poll_generation == 1)
    second = asyncio.create_task(api.call("getUpdates", timeout=30))
    status, body = await asyncio.wait_for(first, 5)
    assert status == 409
    assert body["description"].startswith("Conflict: terminated by other getUpdates request")
    await server.residents(TOKEN).send_text(1, "x")
    status, body = await asyncio.wait_for(second, 5)
    assert status == 200 and [u["message"]["text"] for u in body["result"]] == ["x"]


async def test_allowed_updates_filters_new_updates(server: BotApiServer, api: Api) -> None:
    assert await api.ok("getUpdates", allowed_updates=["callback_query"]) == []
    await server.residents(TOKEN).send_text(5, "ignored")
    assert await api.ok("getUpdates") == []
    assert await api.ok("getUpdates", allowed_updates=[]) == []  # back to the default set
    await server.residents(TOKEN).send_text(5, "seen")
    assert [u["message"]["text"] for u in await api.ok("getUpdates")] == ["seen"]


async def test_send_message_validation(server: BotApiServer, api: Api) -> None:
    status, body = await api.call("sendMessage", chat_id=99, text="hello")
    assert (status, body["description"]) == (400, "Bad Request: chat not found")
    await server.residents(TOKEN).send_text(99, "hi")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"text": ""}, "Bad Request: message text is empty"),
        ({"text": "x" * 4097}, "Bad Request: message is too long"),
        ({"text": "<b>bold</b>", "parse_mode": "HTML"}, "Bad Request: parse_mode 'HTML' is not supported"),
        ({"text": "x", "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "d" * 65}]]}},
         "Bad Request: BUTTON_DATA_INVALID"),
        ({"text": "x", "reply_markup": {"inline_keyboard": [[{"text": "plain"}]]}},
         "Bad Request: can't parse inline keyboard button"),
        ({"text": "x", "reply_to_message_id": 500}, "Bad Request: message to be replied not found"),
    ]  # fmt: skip
    for params, description in cases:
        status, body = await api.call("sendMessage", chat_id=99, **params)
        assert status == 400 and body["description"].startswith(description), (params, body)
    sent = await api.ok("sendMessage", chat_id=99, text="x", reply_parameters={"message_id": 500,
                        "allow_sending_without_reply": True})  # fmt: skip
    assert "reply_to_message" not in sent
    assert [m.text for m in server.residents(TOKEN).bot_messages(99)] == ["x"]


async def test_send_message_form_encoded_with_markup(server: BotApiServer, api: Api) -> None:
    await server.residents(TOKEN).send_text(7, "hi")
    markup = '{"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]}'
    form = {"chat_id": "7", "text": "Счёт & 😀 итог", "reply_markup": markup}
    async with api.http.post(f"{api.base_url}/bot{TOKEN}/sendMessage", data=form) as resp:
        body = await resp.json()
    result = body["result"]
    assert result["text"] == "Счёт & 😀 итог" and "entities" not in result
    assert result["reply_markup"] == {"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]}
    assert result["from"]["is_bot"] is True and result["chat"]["id"] == 7 and isinstance(result["date"], int)


async def test_edits_deletes_and_not_modified(server: BotApiServer, api: Api) -> None:
    residents = server.residents(TOKEN)
    user_message = await residents.send_text(8, "hi")
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    sent = await api.ok("sendMessage", chat_id=8, text="v1", reply_markup=markup)
    mid = sent["message_id"]
    status, body = await api.call(
        "editMessageText", chat_id=8, message_id=mid, text="v1", reply_markup=markup
    )
    assert status == 400 and body["description"].startswith("Bad Request: message is not modified")
    edited = await api.ok("editMessageText", chat_id=8, message_id=mid, text="v2", reply_markup=markup)
    assert edited["text"] == "v2" and edited["reply_markup"] == markup and "edit_date" in edited
    new_markup = {"inline_keyboard": [[{"text": "B", "callback_data": "b"}]]}
    await api.ok("editMessageReplyMarkup", chat_id=8, message_id=mid, reply_markup=new_markup)
    assert residents.message(8, mid).reply_markup == new_markup and residents.message(8, mid).version == 2
    status, body = await api.call(
        "editMessageText", chat_id=8, message_id=user_message["message_id"], text="x"
    )
    assert (status, body["description"]) == (400, "Bad Request: message can't be edited")

    assert await api.ok("deleteMessage", chat_id=8, message_id=mid) is True
    assert residents.message(8, mid).deleted is True
    status, body = await api.call("deleteMessage", chat_id=8, message_id=mid)
    assert (status, body["description"]) == (400, "Bad Request: message to delete not found")
    status, body = await api.call("editMessageText", chat_id=8, message_id=mid, text="v3")
    assert (status, body["description"]) == (400, "Bad Request: message to edit not found")


async def test_callback_answer_once(server: BotApiServer, api: Api) -> None:
    residents = server.residents(TOKEN)
    await residents.send_text(9, "hi")
    sent = await api.ok("sendMessage", chat_id=9, text="?", reply_markup={"inline_keyboard": [[
        {"text": "Да", "callback_data": "yes"}]]})  # fmt: skip
    query = await residents.press_inline(9, sent["message_id"], "yes")
    updates = await api.ok("getUpdates")
    assert updates[-1]["callback_query"]["id"] == query["id"]
    assert updates[-1]["callback_query"]["message"]["message_id"] == sent["message_id"]
    assert updates[-1]["callback_query"]["data"] == "yes"
    assert await api.ok("answerCallbackQuery", callback_query_id=query["id"], text="Готово", show_alert=True)
    status, body = await api.call("answerCallbackQuery", callback_query_id=query["id"])
    assert status == 400 and "query ID is invalid" in body["description"]
    answer = residents.callback_answer(query["id"])
    assert answer is not None and (answer.text, answer.show_alert) == ("Готово", True)


async def test_bot_commands_and_methods_the_bot_never_uses(server: BotApiServer, api: Api) -> None:
    commands = [{"command": "start", "description": "Начать"}, {"command": "help", "description": "Помощь"}]
    assert await api.ok("setMyCommands", commands=commands) is True
    assert await api.ok("setMyCommands", commands=commands[:1], language_code="en") is True
    assert await api.ok("getMyCommands") == commands
    assert await api.ok("getMyCommands", language_code="en") == commands[:1]
    status, body = await api.call("setMyCommands", commands=[{"command": "Bad Command", "description": "x"}])
    assert (status, body["description"]) == (400, "Bad Request: BOT_COMMAND_INVALID")

    await server.residents(TOKEN).send_text(10, "hi")
    for name in ("forwardMessage", "copyMessage", "getChat", "sendChatAction"):
        status, body = await api.call(name, chat_id=10)
        assert (status, body["description"]) == (404, "Not Found: method not found"), name


async def test_blocked_bot_gets_403_and_a_my_chat_member_update(server: BotApiServer, api: Api) -> None:
    residents = server.residents(TOKEN)
    residents.user(30, first_name="Нина")
    status, body = await api.call("sendMessage", chat_id=30, text="Напоминание")
    assert (status, body["description"]) == (403, "Forbidden: bot can't initiate conversation with a user")
    await residents.send_text(30, "/start")
    await residents.block_bot(30)
    status, body = await api.call("sendMessage", chat_id=30, text="Напоминание")
    assert (status, body) == (
        403,
        {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
    )
    updates = await api.ok("getUpdates")
    member = Update.model_validate(updates[-1]).my_chat_member
    assert member is not None and (member.old_chat_member.status, member.new_chat_member.status) == (
        "member",
        "kicked",
    )
    with pytest.raises(ApiError, match="unblock it first"):
        await residents.send_text(30, "hi")
    await residents.block_bot(30, blocked=False)
    assert (await api.ok("sendMessage", chat_id=30, text="Напоминание"))["text"] == "Напоминание"


async def test_updates_and_messages_validate_as_aiogram_types(server: BotApiServer, api: Api) -> None:
    residents = server.residents(TOKEN)
    await residents.send_text(31, "/start now")
    await residents.share_contact(31)
    await residents.send_photo(31, caption="c")
    await residents.send_document(31)
    await residents.send_sticker(31)
    keyboard = {"keyboard": [["Да", {"text": "Нет"}]], "resize_keyboard": True}
    sent = await api.ok("sendMessage", chat_id=31, text="Ответ?", reply_markup=keyboard)
    await residents.press_button(31, "Да")
    await api.ok("editMessageText", chat_id=31, message_id=sent["message_id"], text="Ответ? (изменено)")
    await residents.press_button(31, "Нет")  # editing the text kept the reply keyboard
    query_message = await api.ok("sendMessage", chat_id=31, text="?", reply_markup={"inline_keyboard": [[
        {"text": "ok", "callback_data": "ok"}]]})  # fmt: skip
    await residents.press_inline(31, query_message["message_id"], "ok")
    updates = [Update.model_validate(u) for u in await api.ok("getUpdates")]
    kinds = [u.event_type for u in updates]
    assert kinds == ["message"] * 7 + ["callback_query"]
    first = updates[0].message
    assert first is not None and first.entities is not None and first.entities[0].type == "bot_command"
    assert [u.message.text for u in updates[5:7] if u.message] == ["Да", "Нет"]
    assert Message.model_validate(sent).chat.id == 31
    assert WebhookInfo.model_validate(await api.ok("getWebhookInfo")).url == ""
    assert User.model_validate(await api.ok("getMe")).is_bot


async def test_bot_posts_to_a_registered_group_chat(server: BotApiServer, bot: Bot) -> None:
    residents = server.residents(TOKEN)
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(-100500, "Новое показание")
    residents.open_group(-100500, title="Администраторы")
    sent = await bot.send_message(-100500, "Новое показание: кв. 12, 123.4")
    assert sent.chat.type == "group" and sent.chat.title == "Администраторы"
    assert [m.text for m in residents.bot_messages(-100500)] == ["Новое показание: кв. 12, 123.4"]
