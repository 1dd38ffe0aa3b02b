"""Every Bot API method the local server answers, in one table: what the gateway calls (directly or
through aiogram's polling and webhook setup) and what the chat page needs. Anything else is 404, as
an unknown method is on Telegram."""

from __future__ import annotations

from typing import Any

from . import chat_methods, methods, photo_methods, updates
from .base import ApiError
from .methods import Ctx, Handler
from .params import Params

METHODS: dict[str, Handler] = {
    name.lower(): handler
    for name, handler in {
        "getMe": methods.get_me,
        "sendMessage": methods.send_message,
        "editMessageText": methods.edit_message_text,
        "editMessageReplyMarkup": methods.edit_message_reply_markup,
        "deleteMessage": methods.delete_message,
        "sendDocument": methods.send_document,
        "answerCallbackQuery": chat_methods.answer_callback_query,
        "setMyCommands": chat_methods.set_my_commands,
        "getMyCommands": chat_methods.get_my_commands,
        "getUpdates": updates.get_updates,
        "setWebhook": updates.set_webhook,
        "deleteWebhook": updates.delete_webhook,
        "getWebhookInfo": updates.get_webhook_info,
        "sendPhoto": photo_methods.send_photo,
        "getFile": chat_methods.get_file,  # then GET /file/bot<token>/<file_path> (app.py)
    }.items()
}


#: The sends an opt-in flood limit counts (``BotApiServer(flood=FloodLimit(...))``, see flood.py).
FLOOD_LIMITED = frozenset(name.lower() for name in ("sendMessage", "sendDocument", "sendPhoto"))


async def call_method(ctx: Ctx, name: str, params: Params) -> Any:
    """Method names are case-insensitive, as on Telegram."""
    handler = METHODS.get(name.lower())
    if handler is None:
        raise ApiError(404, "Not Found: method not found")
    if ctx.services.flood is not None and name.lower() in FLOOD_LIMITED:
        ctx.services.flood.take(ctx.bot.bot_id, params.chat_id())
    return await handler(ctx, params)
