"""getFile and the file download route (issue 14 item 6): a bot downloads the bytes of a photo a
resident sent, as aiogram's Bot.download does against Telegram."""

from __future__ import annotations

import hashlib
import io

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from meterbot_botapi import BotApiServer
from meterbot_botapi.media import tiny_png

pytestmark = pytest.mark.integration

TOKEN = "123456:TEST-secret_token"


async def test_a_photo_a_resident_sent_is_downloaded_byte_for_byte(server: BotApiServer, bot: Bot) -> None:
    await server.residents(TOKEN).send_photo(42, tiny_png())
    [update] = await bot.get_updates()
    assert update.message is not None and update.message.photo
    file_id = update.message.photo[-1].file_id
    file = await bot.get_file(file_id)
    assert file.file_size == len(tiny_png()) and file.file_path
    downloaded = io.BytesIO()
    await bot.download(file_id, destination=downloaded)
    assert hashlib.sha256(downloaded.getvalue()).digest() == hashlib.sha256(tiny_png()).digest()
    with pytest.raises(TelegramBadRequest):
        await bot.get_file("no-such-file")
