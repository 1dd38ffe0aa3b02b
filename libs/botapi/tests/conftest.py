"""Fixtures: a live local Bot API server, a raw HTTP client, and a tiny real aiogram bot polling it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import CommandStart
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from meterbot_botapi import BotApiServer

TOKEN = "123456:TEST-secret_token"
METERS = {"cold": "Холодная вода", "hot": "Горячая вода"}
START_TEXT = "Здравствуйте! Поделитесь номером телефона, чтобы передавать показания."
SHARE_BUTTON = "📱 Поделиться номером"
FOREIGN_CONTACT_TEXT = "Пожалуйста, поделитесь своим номером, а не чужим."
ONLY_TEXT = "Принимается только текст."


@dataclass(frozen=True)
class TinyBot:
    """What the tiny bot says (tests get it from the ``tiny`` fixture)."""

    token: str = TOKEN
    start_text: str = START_TEXT
    share_button: str = SHARE_BUTTON
    foreign_contact_text: str = FOREIGN_CONTACT_TEXT
    only_text: str = ONLY_TEXT


@pytest.fixture
def tiny() -> TinyBot:
    return TinyBot()


def build_router() -> Router:
    """A miniature meterbot: /start -> contact -> pick a meter inline -> the message is edited."""
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        keyboard = ReplyKeyboardMarkup(
            keyboard=[[KeyboardButton(text=SHARE_BUTTON, request_contact=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
        await message.answer(START_TEXT, reply_markup=keyboard)

    @router.message(F.contact)
    async def contact(message: Message) -> None:
        assert message.contact is not None and message.from_user is not None
        if message.contact.user_id != message.from_user.id:
            await message.answer(FOREIGN_CONTACT_TEXT)
            return
        await message.answer(
            f"Номер {message.contact.phone_number} подтверждён.", reply_markup=ReplyKeyboardRemove()
        )
        buttons = [
            InlineKeyboardButton(text=name, callback_data=f"meter:{key}") for key, name in METERS.items()
        ]
        await message.answer(
            "Выберите счётчик:", reply_markup=InlineKeyboardMarkup(inline_keyboard=[buttons])
        )

    @router.callback_query(F.data.startswith("meter:"))
    async def pick_meter(query: CallbackQuery) -> None:
        assert query.data is not None and isinstance(query.message, Message)
        name = METERS[query.data.removeprefix("meter:")]
        await query.answer(f"Выбрано: {name}")
        await query.message.edit_text(f"Счётчик: {name}. Введите показание.")

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.reply(f"Получено: {message.text}")

    @router.message()
    async def not_text(message: Message) -> None:
        await message.answer(ONLY_TEXT)

    return router


@pytest.fixture
async def server() -> AsyncIterator[BotApiServer]:
    async with BotApiServer(host="127.0.0.1", port=0) as srv:
        yield srv


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@dataclass
class Api:
    """Raw Bot API calls over HTTP, returning (status, body)."""

    http: aiohttp.ClientSession
    base_url: str
    token: str = TOKEN

    async def call(self, method: str, token: str | None = None, **params: Any) -> tuple[int, dict[str, Any]]:
        url = f"{self.base_url}/bot{token or self.token}/{method}"
        async with self.http.post(url, json=params) as resp:
            return resp.status, await resp.json()

    async def ok(self, method: str, **params: Any) -> Any:
        status, body = await self.call(method, **params)
        assert status == 200 and body["ok"] is True, body
        return body["result"]


@pytest.fixture
def api(server: BotApiServer, http: aiohttp.ClientSession) -> Api:
    return Api(http, server.base_url)


def make_bot(server: BotApiServer, token: str = TOKEN) -> Bot:
    return Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(server.base_url)))


@pytest.fixture
async def bot(server: BotApiServer) -> AsyncIterator[Bot]:
    """An aiogram Bot pointed at the server (not polling)."""
    async with make_bot(server) as client:
        yield client


@pytest.fixture
async def polling_bot(server: BotApiServer) -> AsyncIterator[Bot]:
    """The tiny bot, long-polling the server as a task; stopped cleanly afterwards."""
    bot = make_bot(server)
    dispatcher = Dispatcher()
    dispatcher.include_router(build_router())
    started = asyncio.Event()
    dispatcher.startup.register(started.set)
    task = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False))
    await asyncio.wait_for(started.wait(), 5)
    yield bot
    await dispatcher.stop_polling()
    await asyncio.wait_for(task, 5)
    assert task.exception() is None
