"""sendPhoto/sendDocument: multipart uploads through aiogram and raw HTTP, file_id reuse, downloads."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile
from meterbot_botapi import BotApiServer, tiny_png

if TYPE_CHECKING:
    from conftest import Api

TOKEN = "123456:TEST-secret_token"


async def test_send_photo_multipart_through_aiogram(server: BotApiServer, bot: Bot) -> None:
    png = tiny_png(3, 2)
    await server.residents(TOKEN).send_text(21, "hi")
    sent = await bot.send_photo(21, BufferedInputFile(png, "meter.png"), caption="Фото <b>счётчика</b>",
                                parse_mode="HTML")  # fmt: skip
    assert sent.photo is not None and (sent.photo[-1].width, sent.photo[-1].height) == (3, 2)
    assert sent.caption == "Фото счётчика" and sent.caption_entities is not None
    file_id = sent.photo[-1].file_id

    again = await bot.send_photo(21, file_id)  # re-send by file_id, no upload
    assert again.photo is not None and again.photo[-1].file_id == file_id

    downloaded = io.BytesIO()
    await bot.download(file_id, destination=downloaded)
    assert downloaded.getvalue() == png

    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(21, BufferedInputFile(b"not an image", "x.png"))
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_photo(21, "no-such-file-id")

    messages = server.residents(TOKEN).bot_messages(21)
    assert [(m.kind, m.file_id, m.caption) for m in messages] == [
        ("photo", file_id, "Фото счётчика"),
        ("photo", file_id, None),
    ]
    assert server.residents(TOKEN).file_bytes(file_id) == png


async def test_send_photo_raw_multipart_with_attach(
    server: BotApiServer, http: aiohttp.ClientSession
) -> None:
    png = tiny_png(5, 4)
    await server.residents(TOKEN).send_text(22, "hi")
    form = aiohttp.FormData()
    form.add_field("chat_id", "22")
    form.add_field("photo", "attach://pic")
    form.add_field("pic", png, filename="pic.png", content_type="image/png")
    async with http.post(f"{server.base_url}/bot{TOKEN}/sendPhoto", data=form) as resp:
        body = await resp.json()
    assert resp.status == 200, body
    size = body["result"]["photo"][-1]
    assert (size["width"], size["height"], size["file_size"]) == (5, 4, len(png))
    assert server.residents(TOKEN).file_bytes(size["file_id"]) == png


async def test_send_document_and_get_file(
    server: BotApiServer, api: Api, http: aiohttp.ClientSession
) -> None:
    await server.residents(TOKEN).send_text(23, "hi")
    form = aiohttp.FormData()
    form.add_field("chat_id", "23")
    form.add_field("caption", "Выгрузка")
    form.add_field("document", b"account;value\n1;42\n", filename="export.csv")
    async with http.post(f"{server.base_url}/bot{TOKEN}/sendDocument", data=form) as resp:
        document = (await resp.json())["result"]["document"]
    assert (document["file_name"], document["mime_type"]) == ("export.csv", "text/csv")
    file = await api.ok("getFile", file_id=document["file_id"])
    async with http.get(f"{server.base_url}/file/bot{TOKEN}/{file['file_path']}") as resp:
        assert await resp.read() == b"account;value\n1;42\n"
    status, body = await api.call("sendPhoto", chat_id=23, photo=document["file_id"])
    assert (status, body["description"]) == (400, "Bad Request: can't use file of type Document as Photo")
