"""The web chat over plain HTTP: the page and its files are served, and the endpoints it uses behave."""

from __future__ import annotations

import asyncio
import re
from importlib import resources
from typing import TYPE_CHECKING, Any, cast

import aiohttp
import pytest
from aiogram import Bot
from meterbot_botapi import BotApiServer, World, tiny_png

if TYPE_CHECKING:
    from aiohttp import web

    from conftest import Api, TinyBot

pytestmark = pytest.mark.integration

ADMIN_ID = 1000


async def get(http: aiohttp.ClientSession, url: str) -> tuple[int, str, str]:
    async with http.get(url) as resp:
        return resp.status, resp.content_type, await resp.text()


async def call(http: aiohttp.ClientSession, method: str, url: str, **kwargs: Any) -> tuple[int, Any]:
    async with http.request(method, url, **kwargs) as resp:
        body = await resp.json()
        return resp.status, body["result"] if body["ok"] else body


@pytest.mark.parametrize("path", ["", "chat", "admin", "chat?user=5&bot=123456"])
async def test_the_page_is_served(server: BotApiServer, http: aiohttp.ClientSession, path: str) -> None:
    status, content_type, html = await get(http, server.chat_url + path)
    assert status == 200 and content_type == "text/html"
    assert '<script type="module" src="webchat/app.js">' in html
    assert '<link rel="stylesheet" href="webchat/style.css">' in html
    assert '<html lang="ru">' in html and 'name="viewport"' in html


async def test_static_files_are_served_from_package_data(
    server: BotApiServer, http: aiohttp.ClientSession
) -> None:
    package = resources.files("meterbot_botapi.webchat")
    for name, expected_type in (("app.js", "text/javascript"), ("style.css", "text/css")):
        async with http.get(f"{server.base_url}/webchat/{name}") as resp:
            assert resp.status == 200 and resp.content_type == expected_type
            assert resp.charset == "utf-8" and resp.headers["Cache-Control"] == "no-cache"
            assert await resp.read() == package.joinpath(name).read_bytes()
    for missing in ("index.html", "nope.js", "__init__.py", "routes.py", "..%2Fstate.py"):
        status, _, _ = await get(http, f"{server.base_url}/webchat/{missing}")
        assert status == 404, missing


async def test_the_page_can_be_left_out(http: aiohttp.ClientSession) -> None:
    async with BotApiServer(webchat=False) as server:
        assert (await get(http, server.chat_url))[0] == 404
        assert (await get(http, f"{server.base_url}/webchat/app.js"))[0] == 404
        status, me = await call(http, "GET", f"{server.base_url}/bot7:x/getMe")
        assert status == 200 and me["id"] == 7


async def test_the_page_shows_times_in_the_billing_time_zone(http: aiohttp.ClientSession) -> None:
    """The bot's texts give times in the billing zone; the page showed the browser's (UTC) instead."""
    async with BotApiServer(time_zone="Asia/Yekaterinburg") as server:
        _, _, html = await get(http, server.chat_url)
        assert '<meta name="time-zone" content="Asia/Yekaterinburg">' in html
    async with BotApiServer() as server:
        _, _, html = await get(http, server.chat_url)
        assert '<meta name="time-zone" content="Europe/Moscow">' in html
    script = resources.files("meterbot_botapi.webchat").joinpath("app.js").read_text(encoding="utf-8")
    assert "timeZone: TIME_ZONE" in script


def test_chat_url_names_a_reachable_host() -> None:
    server = BotApiServer("0.0.0.0", 8081)
    server._runner = cast("web.AppRunner", object())  # started, as far as the property cares
    assert server.chat_url == "http://127.0.0.1:8081/"
    server.host = "::"
    assert server.chat_url == "http://[::1]:8081/"
    server.host = "localhost"
    assert server.chat_url == "http://localhost:8081/"


async def test_bot_list_waits_for_a_bot_to_connect(server: BotApiServer, http: aiohttp.ClientSession) -> None:
    bots = f"{server.base_url}/_test/bots"
    status, listed = await call(http, "GET", bots, params={"wait": "0.05"})
    assert status == 200 and listed == []
    await call(http, "GET", f"{bots}/555/chats/1/messages")  # addressed by a resident: not connected
    status, listed = await call(http, "GET", bots, params={"wait": "0.05"})
    assert [(b["id"], b["connected"]) for b in listed] == [(555, False)]

    waiting = asyncio.create_task(call(http, "GET", bots, params={"wait": "10"}))
    await asyncio.sleep(0.1)
    assert not waiting.done()
    await call(http, "GET", f"{server.base_url}/bot556:secret/getMe")
    status, listed = await asyncio.wait_for(waiting, 5)
    assert {b["id"]: b["connected"] for b in listed} == {555: False, 556: True}
    assert next(b for b in listed if b["id"] == 556)["username"] == "meterbot556_bot"

    status, body = await call(http, "GET", bots, params={"wait": "soon"})
    assert status == 400 and body["description"] == "Bad Request: wait must be a number"


async def test_users_are_listed_for_the_page(server: BotApiServer, http: aiohttp.ClientSession) -> None:
    users = f"{server.base_url}/_test/users"
    assert await call(http, "GET", users) == (200, [])
    await call(http, "PUT", f"{users}/42", json={"first_name": "Анна", "phone_number": "+79000000042"})
    await call(http, "PUT", f"{users}/7", json={"first_name": "Борис"})
    _, listed = await call(http, "GET", users)
    assert [(u["id"], u["first_name"], u["phone_number"]) for u in listed] == [
        (7, "Борис", None),
        (42, "Анна", "+79000000042"),
    ]


async def test_open_lets_the_bot_write_first(
    server: BotApiServer, api: Api, http: aiohttp.ClientSession
) -> None:
    """The admin view opens its chat: the bot may then message the admin, who never wrote to it."""
    await api.ok("getMe")
    server.residents(api.token).user(ADMIN_ID, first_name="Администратор")
    status, body = await api.call("sendMessage", chat_id=ADMIN_ID, text="Сообщение от жителя")
    assert status == 403 and body["description"] == "Forbidden: bot can't initiate conversation with a user"

    status, chat = await call(
        http,
        "POST",
        f"{server.base_url}/_test/bots/123456/users/{ADMIN_ID}/open",
        json={"user": {"first_name": "Админ"}},
    )
    assert status == 200 and chat == {"id": ADMIN_ID, "type": "private", "first_name": "Админ"}
    assert await api.ok("getUpdates") == []  # opening sends the bot nothing
    sent = await api.ok("sendMessage", chat_id=ADMIN_ID, text="Сообщение от жителя")
    assert sent["chat"]["id"] == ADMIN_ID


async def test_a_user_text_can_reply_to_a_message(
    server: BotApiServer, api: Api, http: aiohttp.ClientSession
) -> None:
    user = f"{server.base_url}/_test/bots/123456/users/{ADMIN_ID}"
    await call(http, "POST", f"{user}/open")
    forwarded = await api.ok("sendMessage", chat_id=ADMIN_ID, text="Сообщение от жителя\nЧат: 8123")
    status, reply = await call(
        http,
        "POST",
        f"{user}/text",
        json={"text": "Проверим", "reply_to_message_id": forwarded["message_id"]},
    )
    assert status == 200
    assert reply["reply_to_message"]["message_id"] == forwarded["message_id"]
    assert reply["reply_to_message"]["text"] == "Сообщение от жителя\nЧат: 8123"
    updates = await api.ok("getUpdates")
    assert updates[-1]["message"]["reply_to_message"]["from"]["is_bot"] is True

    status, body = await call(http, "POST", f"{user}/text", json={"text": "x", "reply_to_message_id": 99})
    assert status == 400 and body["description"] == "Bad Request: message to be replied not found"
    await api.ok("deleteMessage", chat_id=ADMIN_ID, message_id=forwarded["message_id"])
    status, body = await call(
        http, "POST", f"{user}/text", json={"text": "x", "reply_to_message_id": forwarded["message_id"]}
    )
    assert status == 400  # a deleted message can't be replied to

    resident = server.resident(api.token, ADMIN_ID)
    kept = await api.ok("sendMessage", chat_id=ADMIN_ID, text="Ещё одно")
    assert (await resident.send_text("Ок", reply_to=kept["message_id"]))["reply_to_message"][
        "text"
    ] == "Ещё одно"


async def test_files_carry_their_type_so_the_page_can_show_them(
    server: BotApiServer, polling_bot: Bot, http: aiohttp.ClientSession, tiny: TinyBot
) -> None:
    user = f"{server.base_url}/_test/bots/123456/users/4242"
    form = aiohttp.FormData()
    form.add_field("photo", tiny_png(), filename="meter.png", content_type="image/png")
    form.add_field("user", '{"first_name": "Вера"}')  # the page sends its profile as JSON in a form
    status, photo = await call(http, "POST", f"{user}/photo", data=form)
    assert status == 200 and photo["from"]["first_name"] == "Вера"
    async with http.get(f"{server.base_url}/_test/bots/123456/files/{photo['photo'][0]['file_id']}") as resp:
        assert resp.content_type == "image/png" and await resp.read() == tiny_png()

    status, doc = await call(
        http, "POST", f"{user}/document", json={"file_name": "readings.csv", "content": "cold;1\n"}
    )
    async with http.get(f"{server.base_url}/_test/bots/123456/files/{doc['document']['file_id']}") as resp:
        assert resp.content_type == "text/csv" and await resp.text() == "cold;1\n"
    assert (await call(http, "GET", f"{server.base_url}/_test/bots/123456/files/nope"))[0] == 400


async def test_changes_answer_at_once_with_timeout_zero_then_long_poll(
    server: BotApiServer, polling_bot: Bot, http: aiohttp.ClientSession, tiny: TinyBot
) -> None:
    """What the page does: the chat as it is, then a long poll that returns as soon as the bot answers."""
    chat = f"{server.base_url}/_test/bots/123456/chats/6060/changes"
    loop = asyncio.get_running_loop()
    started = loop.time()
    status, first = await call(http, "GET", chat, params={"since": "0", "timeout": "0"})
    assert status == 200 and first == {"version": 0, "messages": []}
    assert loop.time() - started < 1

    waiting = asyncio.create_task(call(http, "GET", chat, params={"since": "0", "timeout": "20"}))
    await asyncio.sleep(0.1)
    assert not waiting.done()
    await call(http, "POST", f"{server.base_url}/_test/bots/123456/users/6060/text", json={"text": "/start"})
    _, snapshot = await asyncio.wait_for(waiting, 5)
    version = snapshot["version"]
    assert version >= 1 and snapshot["messages"][0]["text"] == "/start"

    while not any(m["from_bot"] for m in snapshot["messages"]):  # each call blocks until a change
        _, snapshot = await call(http, "GET", chat, params={"since": str(version), "timeout": "10"})
        assert snapshot["version"] > version
        version = snapshot["version"]
    greeting = next(m for m in snapshot["messages"] if m["from_bot"])
    assert greeting["text"] == tiny.start_text
    assert greeting["reply_markup"]["keyboard"][0][0] == {"text": tiny.share_button, "request_contact": True}


async def test_the_page_script_uses_only_routes_the_server_has(server: BotApiServer) -> None:
    """Every ``_test/...`` path the script calls exists (a cheap guard against drift)."""
    script = resources.files("meterbot_botapi.webchat").joinpath("app.js").read_text("utf-8")
    calls = re.findall(r"userPath\(([^)]*)\)", script)
    called = {action for args in calls for action in re.findall(r'"(\w+)"', args)}
    routes = {r.resource.canonical for r in server.app.router.routes() if r.resource is not None}
    for action in called:
        assert f"/_test/bots/{{bot}}/users/{{user_id}}/{action}" in routes, action
    for path in (
        "/_test/bots",
        "/_test/users",
        "/_test/users/{user_id}",
        "/_test/bots/{bot}/chats/{chat_id}/changes",
    ):
        assert path in routes
    assert "/_test/bots/{bot}/callback_answers/{query_id}" in routes
    assert called >= {"text", "button", "callback", "photo", "document", "open"}


async def test_world_open_chats_survive_a_reset(http: aiohttp.ClientSession) -> None:
    world = World(open_chats=[ADMIN_ID])
    world.user(ADMIN_ID, first_name="Администратор")
    async with BotApiServer(world=world) as server:
        base = server.base_url
        for _ in range(2):
            async with http.post(
                f"{base}/bot9:x/sendMessage", json={"chat_id": ADMIN_ID, "text": "Привет"}
            ) as resp:
                assert resp.status == 200
                assert (await resp.json())["result"]["chat"]["first_name"] == "Администратор"
            async with http.post(f"{base}/_test/reset") as resp:
                assert resp.status == 200
        assert list(world.users) == [ADMIN_ID]
