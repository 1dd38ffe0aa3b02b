"""Files: sendPhoto, sendDocument, getFile, plus image sniffing and a tiny PNG generator for tests."""

from __future__ import annotations

import mimetypes
import struct
import zlib

from .base import JSON, ApiError
from .methods import Ctx, method, send, target_chat, text_content
from .params import Params, Upload
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


def tiny_png(width: int = 2, height: int = 2, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A valid solid-colour PNG, for tests that need a real photo."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


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


def existing_file(bot: BotState, file_id: str, kind: str) -> StoredFile:
    if file_id.startswith(("http://", "https://")):
        raise ApiError.bad_request("sending files by URL is not supported by the local Bot API server")
    stored = bot.files.get(file_id)
    if stored is None:
        raise ApiError.bad_request("wrong file identifier/HTTP URL specified")
    if stored.kind != kind:
        raise ApiError.bad_request(f"can't use file of type {stored.kind.title()} as {kind.title()}")
    return stored


@method("sendPhoto")
async def send_photo(ctx: Ctx, p: Params) -> JSON:
    chat = target_chat(ctx, p.chat_id())
    source = p.file("photo")
    if isinstance(source, Upload):
        stored = store_photo(ctx.bot, source.data)
    else:
        stored = existing_file(ctx.bot, source, "photo")
    caption, raw = text_content(p, field="caption", required=False)
    return send(ctx, chat, p, {"photo": stored.photo_sizes(), **caption}, raw)


@method("sendDocument")
async def send_document(ctx: Ctx, p: Params) -> JSON:
    chat = target_chat(ctx, p.chat_id())
    source = p.file("document")
    if isinstance(source, Upload):
        stored = store_document(ctx.bot, source.data, source.filename or "document", source.content_type)
    else:
        stored = existing_file(ctx.bot, source, "document")
    caption, raw = text_content(p, field="caption", required=False)
    return send(ctx, chat, p, {"document": stored.document(), **caption}, raw)


@method("getFile")
async def get_file(ctx: Ctx, p: Params) -> JSON:
    stored = ctx.bot.files.get(p.string("file_id", required=True) or "")
    if stored is None:
        raise ApiError.bad_request("invalid file_id")
    return stored.as_file()


def file_by_path(bot: BotState, file_path: str) -> StoredFile | None:
    return next((f for f in bot.files.values() if f.file_path == file_path), None)
