"""The message methods: getMe, sendMessage, editMessageText, editMessageReplyMarkup, deleteMessage.

Handlers are ``async (Ctx, Params) -> result``, listed by name in ``table.METHODS``. Shared helpers
(text checks, reply/markup handling, edit rules) live here.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from .base import JSON, ApiError, now
from .flood import FloodLimit
from .formatting import utf16_len
from .markup import validate_markup
from .params import Params
from .records import ChatState, StoredMessage
from .state import BotState, World


class Services(Protocol):
    """What handlers need from the running server."""

    closing: bool
    flood: FloodLimit | None

    def webhook_changed(self, bot: BotState) -> None: ...


@dataclass
class Ctx:
    world: World
    bot: BotState
    services: Services


Handler = Callable[[Ctx, Params], Awaitable[Any]]


def text_content(p: Params) -> tuple[JSON, str]:
    """``{"text", "entities"?}`` from the params, and the text as sent. Plain text only: the gateway
    uses no parse mode, and one the server cannot render is refused rather than shown wrong."""
    text = p.string("text", required=True, empty_message="message text is empty") or ""
    if mode := p.string("parse_mode"):
        raise ApiError.bad_request(f"parse_mode {mode!r} is not supported by the local Bot API server")
    entities = p.json("entities")
    if entities is not None and not isinstance(entities, list):
        raise ApiError.bad_request("can't parse entities JSON object")
    if not text.strip():
        raise ApiError.bad_request("message text is empty")
    if utf16_len(text) > 4096:
        raise ApiError.bad_request("message is too long")
    content: JSON = {"text": text}
    if entities:
        content["entities"] = entities
    return content, text


def target_chat(ctx: Ctx, chat_id: int) -> ChatState:
    """The chat to send into; 403 when the user blocked the bot or never started it."""
    chat = ctx.bot.chats.get(chat_id)
    if chat is None and chat_id in ctx.world.users:
        raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
    if chat is not None and chat.blocked:
        raise ApiError(403, "Forbidden: bot was blocked by the user")
    return ctx.bot.chat(chat_id)


def reply_target(ctx: Ctx, chat: ChatState, p: Params) -> StoredMessage | None:
    """Resolve reply_parameters / reply_to_message_id (400 if missing, unless allowed)."""
    params = p.json_object("reply_parameters") or {}
    message_id = (
        Params(params).integer("message_id") if "message_id" in params else p.integer("reply_to_message_id")
    )
    if message_id is None:
        return None
    source = ctx.bot.chat(Params(params).chat_id()) if params.get("chat_id") else chat
    target = source.message(message_id)
    allow = params.get("allow_sending_without_reply") or p.boolean("allow_sending_without_reply")
    if target is None and not allow:
        raise ApiError.bad_request("message to be replied not found")
    return target


def send(ctx: Ctx, chat: ChatState, p: Params, content: JSON, raw_text: str) -> JSON:
    """Store a bot message built from ``content`` plus the common reply/markup params."""
    markup = validate_markup(p.json("reply_markup"))
    reply_to = reply_target(ctx, chat, p)
    msg = ctx.bot.add_message(
        chat,
        sender=ctx.bot.user,
        from_bot=True,
        content=content,
        reply_markup=markup,
        raw_text=raw_text,
        reply_to=reply_to,
    )
    return copy.deepcopy(msg.data)


def own_message(ctx: Ctx, p: Params, what: str) -> tuple[ChatState, StoredMessage]:
    if p.has("inline_message_id"):
        raise ApiError.bad_request("inline messages are not supported by the local server")
    chat = ctx.bot.chat(p.chat_id())
    msg = chat.message(p.required_int("message_id"))
    if msg is None:
        raise ApiError.bad_request(f"message to {what} not found")
    if not msg.from_bot:
        raise ApiError.bad_request(f"message can't be {what}ed")
    return chat, msg


def apply_edit(
    ctx: Ctx,
    chat: ChatState,
    msg: StoredMessage,
    changes: JSON,
    *,
    markup: JSON | None,
    drop: tuple[str, ...] = (),
) -> JSON:
    """Edit in place; Telegram refuses edits that change nothing and drops an omitted inline keyboard."""
    new = {k: v for k, v in msg.data.items() if k not in drop and k != "reply_markup"}
    new.update(changes)
    if markup is not None:
        new["reply_markup"] = markup
    if new == msg.data:
        raise ApiError.bad_request(
            "message is not modified: specified new message content and reply markup are exactly the same "
            "as a current content and reply markup of the message"
        )
    new["edit_date"] = now()
    if markup is not None or msg.reply_markup is None or "inline_keyboard" in msg.reply_markup:
        msg.reply_markup = markup  # a reply keyboard the message brought stays in place
    msg.data, msg.version = new, msg.version + 1
    ctx.bot.touch(chat)
    return copy.deepcopy(new)


async def get_me(ctx: Ctx, p: Params) -> JSON:
    return {
        **ctx.bot.user,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


async def send_message(ctx: Ctx, p: Params) -> JSON:
    chat = target_chat(ctx, p.chat_id())
    content, raw = text_content(p)
    return send(ctx, chat, p, content, raw)


async def edit_message_text(ctx: Ctx, p: Params) -> JSON:
    chat, msg = own_message(ctx, p, "edit")
    if "text" not in msg.data:
        raise ApiError.bad_request("there is no text in the message to edit")
    content, raw = text_content(p)
    markup = validate_markup(p.json("reply_markup"), inline_only=True)
    result = apply_edit(ctx, chat, msg, content, markup=markup, drop=("entities",))
    msg.raw_text = raw
    return result


async def edit_message_reply_markup(ctx: Ctx, p: Params) -> JSON:
    chat, msg = own_message(ctx, p, "edit")
    markup = validate_markup(p.json("reply_markup"), inline_only=True)
    return apply_edit(ctx, chat, msg, {}, markup=markup)


async def delete_message(ctx: Ctx, p: Params) -> bool:
    chat = ctx.bot.chat(p.chat_id())
    msg = chat.message(p.required_int("message_id"))
    if msg is None:
        raise ApiError.bad_request("message to delete not found")
    msg.deleted = True
    ctx.bot.touch(chat)
    return True


async def send_document(ctx: Ctx, p: Params) -> JSON:
    """A file the bot sends (the admin's /missing CSV), uploaded in a multipart body; a caption."""
    from .media import store_document  # media imports nothing of ours: no cycle, kept local
    from .params import Upload

    chat = target_chat(ctx, p.chat_id())
    upload = p.raw("document")
    if isinstance(upload, str) and upload.startswith("attach://"):  # aiogram names the multipart field
        upload = p.raw(upload.removeprefix("attach://"))
    if not isinstance(upload, Upload):
        raise ApiError.bad_request("there is no document in the request")
    stored = store_document(ctx.bot, upload.data, upload.filename or "document", upload.content_type)
    caption = p.string("caption") or ""
    content: JSON = {"document": stored.document(), **({"caption": caption} if caption else {})}
    return send(ctx, chat, p, content, caption)
