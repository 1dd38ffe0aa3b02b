"""Opt-in flood control over real HTTP, on a clock the test turns: 429 with retry_after past the
per-bot and per-chat limits, sends during a retry_after counted as early, and off by default."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramRetryAfter
from meterbot_botapi import BotApiServer, FloodLimit

pytestmark = pytest.mark.integration

TOKEN = "424242:flood-test"


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def flooded() -> AsyncIterator[tuple[BotApiServer, FloodLimit, Clock]]:
    clock = Clock()
    flood = FloodLimit(per_bot=3, chat_interval=1.0, clock=clock)
    async with BotApiServer(webchat=False, flood=flood) as server:
        for chat_id in range(1, 6):
            server.residents(TOKEN).open_chat(chat_id)
        yield server, flood, clock


async def test_per_bot_limit_answers_429_with_retry_after(
    flooded: tuple[BotApiServer, FloodLimit, Clock],
) -> None:
    server, flood, clock = flooded
    async with aiohttp.ClientSession() as http:
        for chat_id in (1, 2, 3):
            async with http.post(
                server.api_url(TOKEN, "sendMessage"), json={"chat_id": chat_id, "text": "x"}
            ) as r:
                assert r.status == 200
        async with http.post(server.api_url(TOKEN, "sendMessage"), json={"chat_id": 4, "text": "x"}) as r:
            assert r.status == 429
            assert await r.json() == {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1},
            }
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(server.base_url)))
    try:
        clock.now += 0.5  # the window has moved on, but retry_after has not run out: early
        with pytest.raises(TelegramRetryAfter) as refused:
            await bot.send_message(4, "x")
        assert refused.value.retry_after == 1
        clock.now += 0.5
        assert (await bot.send_message(4, "x")).text == "x"
    finally:
        await bot.session.close()
    assert (flood.accepted, flood.refused, flood.early) == (4, 2, 1)
    assert len(server.residents(TOKEN).messages(4)) == 1


async def test_per_chat_interval(flooded: tuple[BotApiServer, FloodLimit, Clock]) -> None:
    server, flood, clock = flooded
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(server.base_url)))
    try:
        await bot.send_message(5, "first")
        clock.now += 0.2
        await bot.send_message(1, "another chat is fine")
        with pytest.raises(TelegramRetryAfter):
            await bot.send_message(5, "second")
        clock.now += 1.0
        await bot.send_message(5, "second")
    finally:
        await bot.session.close()
    assert (flood.accepted, flood.refused, flood.early) == (3, 1, 0)


async def test_off_by_default() -> None:
    async with BotApiServer(webchat=False) as server:
        server.residents(TOKEN).open_chat(1)
        bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(server.base_url)))
        try:
            for _ in range(50):
                await bot.send_message(1, "x")
        finally:
            await bot.session.close()
        assert server.flood is None
