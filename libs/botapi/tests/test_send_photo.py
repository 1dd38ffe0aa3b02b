"""sendPhoto: a bot's image (multipart upload through aiogram, or a file_id the server holds) is a
photo message in the chat, with its caption and inline keyboard; its bytes come back unchanged."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup
from meterbot_botapi import BotApiServer
from meterbot_botapi.media import TINY_PNG

pytestmark = pytest.mark.integration

TOKEN = "123456:TEST-secret_token"


async def test_a_bot_sends_a_photo_by_upload_and_by_file_id(server: BotApiServer, bot: Bot) -> None:
    resident = server.resident(TOKEN, 42, first_name="Анна")
    await resident.send_text("/start")
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="2025", callback_data="y")]])
    sent = await bot.send_photo(
        42, BufferedInputFile(TINY_PNG, filename="chart.png"), caption="Расход", reply_markup=markup
    )
    assert sent.photo is not None and sent.caption == "Расход"
    [shown] = resident.bot_messages()
    assert shown.kind == "photo" and shown.caption == "Расход" and shown.buttons == [["2025"]]
    assert shown.file_id is not None and resident.api.file_bytes(shown.file_id) == TINY_PNG

    again = await bot.send_photo(42, sent.photo[-1].file_id)
    assert again.photo is not None and again.photo[-1].file_id == sent.photo[-1].file_id
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_photo(42, "no-such-file")
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(42, BufferedInputFile(b"not an image", filename="x.png"))
