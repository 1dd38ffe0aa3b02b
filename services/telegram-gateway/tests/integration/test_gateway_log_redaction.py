"""A failing handler's log holds no phone, surname, name or address (issue 18, item 4): a real aiogram
dispatcher polls the local Bot API server, logging as every service does (configure_logging), and
its handlers fail the ways the issue saw: PostgreSQL echoing a row with the surname and address, a
contract's validation error echoing the typed input, aiogram's own report of the failed update."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message
from meterbot_botapi import BotApiServer
from meterbot_contracts.accounts import AccountLinkRequested
from meterbot_contracts.identity import PhoneShared
from meterbot_platform.logs import configure_logging

pytestmark = pytest.mark.integration

TOKEN = "777003:log-redaction-token"
PHONE, NAME, SURNAME, ADDRESS = "+79167654321", "Евлампия", "Прохоренко-Шаляпина", "ул. Садовая, 10, кв. 5"


@pytest.fixture
async def owners(database: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(database, min_size=1, max_size=2)
    assert pool is not None
    await pool.execute(
        "CREATE TABLE owners (account int PRIMARY KEY, surname text, address text CHECK (length(address) < 5))"
    )
    yield pool
    await pool.close()


def failing_router(pool: asyncpg.Pool) -> Router:
    router = Router(name="failing")

    @router.message(F.contact)
    async def contact(message: Message) -> None:
        assert message.contact is not None
        PhoneShared(  # the phone made too long: pydantic prints the input
            chat_id=message.chat.id,
            user_id=message.chat.id,
            contact_user_id=message.contact.user_id,
            phone=message.contact.phone_number * 4,
            first_name=message.contact.first_name,
        )

    @router.message(F.text.startswith("link "))
    async def link(message: Message) -> None:
        surname = (message.text or "")[5:]
        AccountLinkRequested(
            chat_id=message.chat.id, account_number=f"{surname} {ADDRESS}" * 2, surname=surname
        )

    @router.message(F.text)
    async def text(message: Message) -> None:
        await pool.execute("INSERT INTO owners VALUES (1, $1, $2)", message.text, ADDRESS)

    return router


async def test_a_failing_handlers_log_holds_no_personal_data(
    owners: asyncpg.Pool, capfd: pytest.CaptureFixture[str]
) -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    configure_logging("telegram-gateway", "INFO", "json")
    written = ""
    try:
        async with BotApiServer(host="127.0.0.1", port=0) as server:
            session = AiohttpSession(api=TelegramAPIServer.from_base(server.base_url))
            bot = Bot(TOKEN, session=session)
            dispatcher = Dispatcher()
            dispatcher.include_router(failing_router(owners))
            polling = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False))
            try:
                resident = server.resident(
                    TOKEN, 4242, first_name=NAME, last_name=SURNAME, phone_number=PHONE
                )
                await resident.share_contact()
                await resident.send_text(SURNAME)
                await resident.send_text(f"link {SURNAME}")
                async with asyncio.timeout(30):
                    while written.count("Cause exception while process update") < 3:
                        await asyncio.sleep(0.05)
                        written += capfd.readouterr().err
            finally:
                await dispatcher.stop_polling()
                await polling
                await bot.session.close()
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    for error in ("ValidationError", "CheckViolationError"):
        assert error in written, written
    for value in (PHONE, PHONE[1:], NAME, SURNAME, "Шаляпина", ADDRESS, "Садовая", TOKEN.split(":")[1]):
        assert value not in written, f"{value!r} in the log:\n{written}"
