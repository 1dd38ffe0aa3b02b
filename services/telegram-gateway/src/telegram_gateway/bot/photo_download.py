"""Downloading a photo a resident sent, through the Bot API (getFile, then the file route), never
past the size limit: the sizes Telegram declares are checked first, and the stream is cut as soon
as it goes over (a declared size is only a claim)."""

from __future__ import annotations

from aiogram import Bot


class PhotoTooLarge(Exception):
    """The photo is above METERBOT_PHOTO_MAX_BYTES: nothing was kept."""


async def download_photo(bot: Bot, file_id: str, declared_size: int | None, max_bytes: int) -> bytes:
    if declared_size is not None and declared_size > max_bytes:
        raise PhotoTooLarge(declared_size)
    file = await bot.get_file(file_id)
    if file.file_size is not None and file.file_size > max_bytes:
        raise PhotoTooLarge(file.file_size)
    if not file.file_path:
        raise FileNotFoundError(file_id)
    url = bot.session.api.file_url(bot.token, file.file_path)
    data = bytearray()
    async for chunk in bot.session.stream_content(url=url, timeout=30, raise_for_status=True):
        data += chunk
        if len(data) > max_bytes:
            raise PhotoTooLarge(len(data))
    return bytes(data)
