"""Files residents send (photos, documents) and photos the bot sends (sendPhoto), kept for the chat page."""

from __future__ import annotations

import mimetypes
import struct

from .base import ApiError
from .records import StoredFile
from .state import BotState

_PHOTO_LIMIT = 10 * 1024 * 1024
_DOCUMENT_LIMIT = 50 * 1024 * 1024


def image_size(data: bytes) -> tuple[str, int, int] | None:
    """(extension, width, height) of a PNG, JPEG, GIF or WebP image; None if not an image."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return "png", width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return "gif", width, height
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and data[12:16] == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return "webp", width, height
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[str, int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return "jpg", width, height
        i += 2 + length
    return None


# A valid 2x2 red PNG, for tests and the resident API when a photo is sent without bytes.
TINY_PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x02\x00\x00\x00\x02\x08\x02\x00\x00\x00\xfd\xd4\x9as"
    b"\x00\x00\x00\x10IDATx\x9cc8!'\x07D\x0c\x10\n\x00\x1f&\x04\x11\xa2\x8f\"\xaf\x00\x00\x00\x00IEND\xaeB`\x82"
)


def tiny_png() -> bytes:
    return TINY_PNG


def store_photo(bot: BotState, data: bytes) -> StoredFile:
    """Keep an uploaded photo; 400 like Telegram when the bytes are not an image."""
    if len(data) > _PHOTO_LIMIT:
        raise ApiError.bad_request("PHOTO_INVALID_DIMENSIONS")
    size = image_size(data)
    if size is None:
        raise ApiError.bad_request("IMAGE_PROCESS_FAILED")
    extension, width, height = size
    return bot.add_file("photo", data, extension=extension, width=width, height=height)


def store_document(bot: BotState, data: bytes, file_name: str, mime_type: str | None) -> StoredFile:
    if len(data) > _DOCUMENT_LIMIT:
        raise ApiError(413, "Request Entity Too Large")
    declared = mime_type if mime_type != "application/octet-stream" else None
    mime = declared or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
    extension = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
    return bot.add_file("document", data, extension=extension, file_name=file_name, mime_type=mime)
