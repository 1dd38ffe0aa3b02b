"""sendPhoto: a bot sends an image (a multipart upload, or the file_id of a photo the server holds),
kept like the photos residents send, so the chat page shows it and tests can fetch its bytes."""

from __future__ import annotations

from .base import JSON, ApiError
from .formatting import utf16_len
from .media import store_photo
from .methods import Ctx, send, target_chat
from .params import Params, Upload

CAPTION_LIMIT = 1024  # UTF-16 units, as on Telegram


def _photo(ctx: Ctx, p: Params) -> list[JSON]:
    value = p.raw("photo")
    if isinstance(value, str) and value.startswith("attach://"):  # aiogram names the upload's part
        value = p.raw(value.removeprefix("attach://"))
    if isinstance(value, Upload):
        return store_photo(ctx.bot, value.data).photo_sizes()
    if isinstance(value, str) and value:
        stored = ctx.bot.files.get(value)
        if stored is None or stored.kind != "photo":
            # URLs too: this server fetches nothing from the internet
            raise ApiError.bad_request("wrong file identifier/HTTP URL specified")
        return stored.photo_sizes()
    raise ApiError.bad_request("there is no photo in the request")


async def send_photo(ctx: Ctx, p: Params) -> JSON:
    chat = target_chat(ctx, p.chat_id())
    caption = p.string("caption")
    if mode := p.string("parse_mode"):
        raise ApiError.bad_request(f"parse_mode {mode!r} is not supported by the local Bot API server")
    if caption is not None and utf16_len(caption) > CAPTION_LIMIT:
        raise ApiError.bad_request("message caption is too long")
    content: JSON = {"photo": _photo(ctx, p)}
    if caption:
        content["caption"] = caption
    return send(ctx, chat, p, content, caption or "")
