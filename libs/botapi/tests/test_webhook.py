"""Webhook delivery to real aiohttp receivers: secret header, 409 for getUpdates, retries, replies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from meterbot_botapi import BotApiServer

if TYPE_CHECKING:
    from conftest import Api

pytestmark = pytest.mark.integration

TOKEN = "123456:TEST-secret_token"


@dataclass
class Receiver:
    """A tiny webhook endpoint recording what it got; ``status``/``reply`` shape its answer."""

    url: str = ""
    received: asyncio.Queue[tuple[dict[str, Any], str | None]] = field(default_factory=asyncio.Queue)
    status: int = 200
    reply: dict[str, Any] | None = None

    async def handle(self, request: web.Request) -> web.Response:
        if self.status != 200:
            return web.Response(status=self.status)
        await self.received.put(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        return web.json_response(self.reply) if self.reply else web.Response(text="")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    recv = Receiver()
    app = web.Application()
    app.router.add_post("/hook", recv.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    recv.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    yield recv
    await runner.cleanup()


async def test_webhook_delivery_with_secret_and_409_for_get_updates(
    server: BotApiServer, api: Api, receiver: Receiver
) -> None:
    assert await api.ok("setWebhook", url=receiver.url, secret_token="s3cr3t-Token_1") is True
    info = await api.ok("getWebhookInfo")
    assert (info["url"], info["pending_update_count"], info["has_custom_certificate"]) == (
        receiver.url,
        0,
        False,
    )

    sent = await server.residents(TOKEN).send_text(501, "/start")
    update, secret = await asyncio.wait_for(receiver.received.get(), 5)
    assert secret == "s3cr3t-Token_1"
    assert update["message"]["text"] == "/start" and update["message"]["message_id"] == sent["message_id"]
    await server.residents(TOKEN).wait_until(lambda: not server.world.bots[123456].updates)

    status, body = await api.call("getUpdates")
    assert status == 409
    assert body["description"] == (
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first"
    )
    assert await api.ok("deleteWebhook") is True
    assert (await api.ok("getWebhookInfo"))["url"] == ""
    await server.residents(TOKEN).send_text(501, "after")
    assert [u["message"]["text"] for u in await api.ok("getUpdates")] == ["after"]
    assert receiver.received.empty()


async def test_webhook_set_while_polling_ends_the_poll_with_409(
    server: BotApiServer, api: Api, receiver: Receiver
) -> None:
    poll = asyncio.create_task(api.call("getUpdates", timeout=30))
    await server.residents(TOKEN).wait_until(lambda: server.world.bots[123456].poll_generation == 1)
    await api.ok("setWebhook", url=receiver.url)
    status, body = await asyncio.wait_for(poll, 5)
    assert status == 409 and "webhook is active" in body["description"]


async def test_failed_delivery_is_reported_and_retried(
    server: BotApiServer, api: Api, receiver: Receiver
) -> None:
    receiver.status = 500
    await api.ok("setWebhook", url=receiver.url)
    await server.residents(TOKEN).send_text(502, "первое")
    bot = server.world.bots[123456]
    await server.residents(TOKEN).wait_until(
        lambda: bot.webhook is not None and bot.webhook.last_error_message
    )
    info = await api.ok("getWebhookInfo")
    assert info["pending_update_count"] == 1
    assert info["last_error_message"].startswith("Wrong response from the webhook: 500")
    assert isinstance(info["last_error_date"], int)

    receiver.status = 200
    update, secret = await asyncio.wait_for(receiver.received.get(), 10)
    assert update["message"]["text"] == "первое" and secret is None
    await server.residents(TOKEN).wait_until(lambda: not bot.updates)
    assert (await api.ok("getWebhookInfo"))["pending_update_count"] == 0


async def test_webhook_reply_with_a_method_is_executed(
    server: BotApiServer, api: Api, receiver: Receiver
) -> None:
    receiver.reply = {"method": "sendMessage", "chat_id": 503, "text": "Ответ из вебхука"}
    await api.ok("setWebhook", url=receiver.url, drop_pending_updates=True)
    residents = server.residents(TOKEN)
    await residents.send_text(503, "привет")
    reply = await residents.wait_for_bot_message(503)
    assert reply.text == "Ответ из вебхука"


async def test_set_webhook_validation(api: Api) -> None:
    status, body = await api.call("setWebhook", url="ftp://example.org/hook")
    assert status == 400 and body["description"].startswith("Bad Request: bad webhook")
    status, body = await api.call("setWebhook", url="http://127.0.0.1:9/hook", secret_token="bad secret!")
    assert (status, body["description"]) == (400, "Bad Request: secret token contains unallowed characters")
    assert (await api.ok("getWebhookInfo"))["url"] == ""


async def test_aiogram_bot_in_webhook_mode(server: BotApiServer, bot: Bot) -> None:
    """A real aiogram webhook app: verifies the secret; one handler answers via the webhook reply body."""
    router = Router()

    @router.message(Command("ping"))
    async def ping(message: Message) -> Any:
        return message.answer("pong")  # returned, not awaited: sent back as a multipart webhook reply

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(f"эхо: {message.text}")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    app = web.Application()
    handler = SimpleRequestHandler(dispatcher, bot, secret_token="hook-secret", handle_in_background=False)
    handler.register(app, path="/tg")
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/tg"
        assert await bot.set_webhook(url, secret_token="hook-secret")
        assert (await bot.get_webhook_info()).url == url
        zoya = server.resident(TOKEN, 504)
        await zoya.send_text("/ping")
        assert (await zoya.next_bot_message()).text == "pong"
        await zoya.send_text("123")
        assert (await zoya.next_bot_message()).text == "эхо: 123"

        await bot.set_webhook(url, secret_token="wrong-secret")  # aiogram now refuses our deliveries
        await zoya.send_text("lost?")
        hook = server.world.bots[123456]
        await server.residents(TOKEN).wait_until(
            lambda: hook.webhook is not None and hook.webhook.last_error_message
        )
        assert "401" in str((await bot.get_webhook_info()).last_error_message)
        assert len(zoya.bot_messages()) == 2
    finally:
        await runner.cleanup()
