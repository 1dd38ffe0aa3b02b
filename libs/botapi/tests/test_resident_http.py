"""The /_test HTTP resident API, driven against the real polling aiogram bot."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aiogram import Bot
from meterbot_botapi import BotApiServer, tiny_png

if TYPE_CHECKING:
    from conftest import TinyBot


pytestmark = pytest.mark.integration


class Client:
    def __init__(self, http: aiohttp.ClientSession, base_url: str) -> None:
        self.http, self.base = http, f"{base_url}/_test"

    async def request(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        async with self.http.request(method, f"{self.base}{path}", **kwargs) as resp:
            body = await resp.json()
            return resp.status, body["result"] if body["ok"] else body


async def test_conversation_over_http(
    server: BotApiServer, polling_bot: Bot, http: aiohttp.ClientSession, tiny: TinyBot
) -> None:
    client = Client(http, server.base_url)
    bot, user = "123456", "/bots/123456/users/8001"
    status, profile = await client.request(
        "PUT", "/users/8001", json={"first_name": "Лена", "phone_number": "+7911"}
    )
    assert status == 200 and profile["first_name"] == "Лена"

    status, sent = await client.request("POST", f"{user}/text", json={"text": "/start"})
    assert status == 200 and sent["chat"] == {"id": 8001, "type": "private", "first_name": "Лена"}
    status, greeting = await client.request("GET", f"/bots/{bot}/chats/8001/next", params={"timeout": "5"})
    assert status == 200 and greeting["text"] == tiny.start_text
    assert greeting["reply_markup"]["keyboard"][0][0]["request_contact"] is True

    status, body = await client.request("POST", f"{user}/button", json={"text": "Не та кнопка"})
    assert status == 400 and "not on the current reply keyboard" in body["description"]
    status, contact = await client.request("POST", f"{user}/button", json={"text": tiny.share_button})
    assert status == 200 and contact["contact"]["phone_number"] == "+7911"
    status, confirmed = await client.request("GET", f"/bots/{bot}/chats/8001/next")
    assert confirmed["text"] == "Номер +7911 подтверждён."
    status, menu = await client.request(
        "GET", f"/bots/{bot}/chats/8001/next", params={"after": confirmed["message_id"]}
    )
    assert menu["text"] == "Выберите счётчик:"

    status, body = await client.request(
        "POST", f"{user}/callback", json={"message_id": menu["message_id"], "data": "meter:forged"}
    )
    assert (
        status == 400
        and body["description"] == "Bad Request: there is no such callback button on the message"
    )
    status, query = await client.request(
        "POST", f"{user}/callback", json={"message_id": menu["message_id"], "text": "Холодная вода"}
    )
    assert status == 200 and query["data"] == "meter:cold"
    status, answer = await client.request("GET", f"/bots/{bot}/callback_answers/{query['id']}")
    assert answer["text"] == "Выбрано: Холодная вода"

    status, changes = await client.request(
        "GET", f"/bots/{bot}/chats/8001/changes", params={"since": "0", "timeout": "5"}
    )
    assert changes["version"] >= 6
    status, messages = await client.request("GET", f"/bots/{bot}/chats/8001/messages", params={"who": "all"})
    assert [m["from_bot"] for m in messages] == [False, True, False, True, True]
    await server.residents(bot).wait_for_edit(8001, menu["message_id"])
    status, messages = await client.request("GET", f"/bots/{bot}/chats/8001/messages")
    assert (
        messages[-1]["text"] == "Счётчик: Холодная вода. Введите показание." and messages[-1]["version"] == 1
    )


async def test_media_endpoints_and_timeouts(
    server: BotApiServer, polling_bot: Bot, http: aiohttp.ClientSession, tiny: TinyBot
) -> None:
    client = Client(http, server.base_url)
    user, chat = "/bots/123456/users/8002", "/bots/123456/chats/8002"
    form = aiohttp.FormData()
    form.add_field("photo", tiny_png(), filename="meter.png", content_type="image/png")
    form.add_field("caption", "фото")
    status, photo = await client.request("POST", f"{user}/photo", data=form)
    assert status == 200 and photo["photo"][0]["width"] == 2 and photo["caption"] == "фото"
    status, reply = await client.request("GET", f"{chat}/next")
    assert reply["text"] == tiny.only_text

    status, doc = await client.request(
        "POST", f"{user}/document", json={"file_name": "a.txt", "content": "123"}
    )
    assert status == 200 and doc["document"]["file_name"] == "a.txt"
    async with http.get(f"{server.base_url}/_test/bots/123456/files/{doc['document']['file_id']}") as resp:
        assert await resp.read() == b"123"
    status, sticker = await client.request("POST", f"{user}/sticker", json={"emoji": "🙂"})
    assert status == 200 and sticker["sticker"]["emoji"] == "🙂"
    residents = server.residents(123456)
    await residents.wait_until(lambda: len(residents.bot_messages(8002)) == 3)

    last = str(residents.bot_messages(8002)[-1].message_id)
    status, body = await client.request("GET", f"{chat}/next", params={"after": last, "timeout": "0.2"})
    assert status == 408 and body["error_code"] == 408
    status, blocked = await client.request("POST", f"{user}/block")
    assert status == 200 and blocked["new_chat_member"]["status"] == "kicked"
    status, body = await client.request("POST", f"{user}/text", json={"text": "hi"})
    assert status == 400 and "unblock" in body["description"]
    status, bots = await client.request("GET", "/bots")
    assert [b["id"] for b in bots] == [123456] and bots[0]["chats"] == [8002]
    status, ok = await client.request("POST", "/reset")
    assert ok is True and server.world.bots == {}
    assert (await polling_bot.get_me()).id == 123456
