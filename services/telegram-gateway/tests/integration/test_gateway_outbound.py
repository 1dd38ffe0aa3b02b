"""The outbound queue against PostgreSQL and the local Bot API server: a fact enqueued twice is one
message, keyboards arrive, a chat gets its messages in order, a blocked chat is given up, and two
senders (replicas) on one queue send each message once, and a 429's retry_after is honoured."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from meterbot_botapi import BotApiServer, FloodLimit
from meterbot_testing.infra import Postgres
from telegram_gateway.outbound import OutboundSender, Outgoing, enqueue, enqueue_many
from telegram_gateway.outbound.queue import counts

from .gateway_harness import fresh_database

pytestmark = pytest.mark.integration


@contextlib.asynccontextmanager
async def senders(
    pool: asyncpg.Pool, server: BotApiServer, token: str, n: int, max_in_flight: int = 32
) -> AsyncIterator[None]:
    bots = [
        Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(server.base_url))) for _ in range(n)
    ]
    tasks = [
        asyncio.create_task(
            OutboundSender(pool, b, rate=1000, chat_gap=0.0, max_in_flight=max_in_flight).run()
        )
        for b in bots
    ]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for b in bots:
            await b.session.close()


async def wait_until_done(pool: asyncpg.Pool) -> dict[str, int]:
    async with asyncio.timeout(20):
        while (c := await counts(pool))["pending"]:  # noqa: ASYNC110  (polling the database)
            await asyncio.sleep(0.05)
    return c


async def test_enqueued_once_sent_once_with_keyboard(postgres: Postgres, botapi: BotApiServer) -> None:
    token = f"{700_000 + uuid.uuid4().int % 99_999}:outbound"
    residents = [botapi.resident(token, 5_000_000 + i) for i in range(3)]
    api = botapi.residents(token)
    for r in residents:
        api.open_chat(r.chat_id)  # they started the bot: it may write first
    await api.block_bot(residents[2].chat_id)  # 403 from now on: given up, never retried
    async with fresh_database(postgres.dsn) as pool:
        button = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Ввести", callback_data="x")]]
        )
        async with pool.acquire() as conn, conn.transaction():
            assert await enqueue(conn, residents[0].chat_id, "первое", button, dedupe_key="fact:1")
            assert not await enqueue(conn, residents[0].chat_id, "первое снова", dedupe_key="fact:1")
            assert await enqueue(conn, residents[0].chat_id, "второе", dedupe_key="fact:2")
            everyone = [Outgoing(r.chat_id, f"всем {i}", f"all:{i}") for i, r in enumerate(residents)]
            await enqueue_many(conn, everyone)
            await enqueue_many(conn, [Outgoing(residents[1].chat_id, "дубль", "all:1")])
        async with senders(pool, botapi, token, 2):
            done = await wait_until_done(pool)
        assert done == {"pending": 0, "sent": 4, "given_up": 1}
        first = [m.text or "" for m in residents[0].bot_messages()]
        assert sorted(first) == ["всем 0", "второе", "первое"]
        assert first.index("первое") < first.index("второе")  # one chat's messages in queue order
        with_button = next(m for m in residents[0].bot_messages() if m.text == "первое")
        assert with_button.reply_markup == {"inline_keyboard": [[{"text": "Ввести", "callback_data": "x"}]]}
        assert [m.text for m in residents[1].bot_messages()] == ["всем 1"]
        # a repeat after sending is still one message
        async with pool.acquire() as conn:
            assert not await enqueue(conn, residents[0].chat_id, "первое", dedupe_key="fact:1")


async def test_retry_after_is_honoured(postgres: Postgres) -> None:
    """The server allows 4 messages/s per bot and 1/s per chat; the sender (asked for 1,000/s, no
    chat gap of its own) is answered 429 with retry_after and must wait it out: every message
    arrives once, one chat's in order, and no request came while a retry_after was running (the
    server counts those; one request in flight, so each one left after the 429 before it arrived)."""
    token = f"{700_000 + uuid.uuid4().int % 99_999}:flood"
    flood = FloodLimit(per_bot=4, chat_interval=1.0)
    async with BotApiServer(webchat=False, flood=flood) as server, fresh_database(postgres.dsn) as pool:
        api = server.residents(token)
        chats = [5_100_000 + i for i in range(6)]
        for chat_id in chats:
            api.open_chat(chat_id)
        wanted = {c: [f"{c}: 0"] for c in chats}
        wanted[chats[0]] += [f"{chats[0]}: 1", f"{chats[0]}: 2"]
        async with pool.acquire() as conn:
            await enqueue_many(
                conn, [Outgoing(c, text, text) for c, texts in wanted.items() for text in texts]
            )
        async with senders(pool, server, token, 1, max_in_flight=1):
            done = await wait_until_done(pool)
        assert done == {"pending": 0, "sent": 8, "given_up": 0}
        assert {c: [m.text for m in api.messages(c)] for c in chats} == wanted  # none lost, none twice
        assert flood.refused >= 1  # the limits were hit (per bot: 8 at once; per chat: 3 in one chat)
        assert flood.early == 0
        assert flood.accepted == 8
