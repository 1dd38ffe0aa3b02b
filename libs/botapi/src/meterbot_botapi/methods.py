"""The method registry and the message methods: getMe, sendMessage, edits, deleteMessage.

Handlers are ``async (Ctx, Params) -> result`` registered by name (case-insensitive) in ``METHODS``;
``chat_methods.py``, ``media.py`` and ``updates.py`` register the rest. Shared helpers (text rendering,
reply/markup handling, edit rules) live here.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from .base import JSON, ApiError, now
from .formatting import EntityParseError, parse, utf16_len
from .markup import validate_markup
from .params import Params
from .records import ChatState, StoredMessage
from .state import BotState, World


class Services(Protocol):
    """What handlers need from the running server."""

    closing: bool

    def webhook_changed(self, bot: BotState) -> None: ...


@dataclass
class Ctx:
    world: World
    bot: BotState
    services: Services


Handler = Callable[[Ctx, Params], Awaitable[Any]]
METHODS: dict[str, Handler] = {}


def method(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        METHODS[name.lower()] = handler
        return handler

    return register


async def call_method(ctx: Ctx, name: str, params: Params) -> Any:
    handler = METHODS.get(name.lower())
    if handler is None:
        raise ApiError(404, "Not Found: method not found")
    return await handler(ctx, params)


def render(text: str, parse_mode: str | None, entities: Any = None) -> tuple[str, list[JSON]]:
    """Apply parse_mode (or explicit entities) like Telegram; 400 on malformed markup."""
    if entities:
        if not isinstance(entities, list):
            raise ApiError.bad_request("can't parse entities JSON object")
        return text, entities
    try:
        return parse(text, parse_mode)
    except EntityParseError as e:
        raise ApiError.bad_request(f"can't parse entities: {e}") from None


def text_content(p: Params, *, field: str = "text", required: bool = True) -> tuple[JSON, str | None]:
    """``{"text"/"caption", "entities"/"caption_entities"}`` from the params, and the raw text."""
    raw = p.string(field, required=required, empty_message="message text is empty")
    if raw is None:
        return {}, None
    entities_field = "entities" if field == "text" else "caption_entities"
    text, entities = render(raw, p.string("parse_mode"), p.json(entities_field))
    limit = 4096 if field == "text" else 1024
    if field == "text" and not text.strip():
        raise ApiError.bad_request("message text is empty")
    if utf16_len(text) > limit:
        raise ApiError.bad_request(
            "message is too long" if field == "text" else "message caption is too long"
        )
    content: JSON = {field: text}
    if entities:
        content[entities_field] = entities
    return content, raw


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


def send(ctx: Ctx, chat: ChatState, p: Params, content: JSON, raw_text: str | None) -> JSON:
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
        parse_mode=p.string("parse_mode"),
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


@method("getMe")
async def get_me(ctx: Ctx, p: Params) -> JSON:
    return {
        **ctx.bot.user,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@method("sendMessage")
async def send_message(ctx: Ctx, p: Params) -> JSON:
    chat = target_chat(ctx, p.chat_id())
    content, raw = text_content(p)
    return send(ctx, chat, p, content, raw)


@method("editMessageText")
async def edit_message_text(ctx: Ctx, p: Params) -> JSON:
    chat, msg = own_message(ctx, p, "edit")
    if "text" not in msg.data:
        raise ApiError.bad_request("there is no text in the message to edit")
    content, raw = text_content(p)
    markup = validate_markup(p.json("reply_markup"), inline_only=True)
    result = apply_edit(ctx, chat, msg, content, markup=markup, drop=("entities",))
    msg.raw_text, msg.parse_mode = raw, p.string("parse_mode")
    return result


@method("editMessageCaption")
async def edit_message_caption(ctx: Ctx, p: Params) -> JSON:
    chat, msg = own_message(ctx, p, "edit")
    if "text" in msg.data:
        raise ApiError.bad_request("there is no caption in the message to edit")
    content, raw = text_content(p, field="caption", required=False)
    markup = validate_markup(p.json("reply_markup"), inline_only=True)
    result = apply_edit(ctx, chat, msg, content, markup=markup, drop=("caption", "caption_entities"))
    msg.raw_text, msg.parse_mode = raw, p.string("parse_mode")
    return result


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(ctx: Ctx, p: Params) -> JSON:
    chat, msg = own_message(ctx, p, "edit")
    markup = validate_markup(p.json("reply_markup"), inline_only=True)
    return apply_edit(ctx, chat, msg, {}, markup=markup)


@method("deleteMessage")
async def delete_message(ctx: Ctx, p: Params) -> bool:
    chat = ctx.bot.chat(p.chat_id())
    msg = chat.message(p.required_int("message_id"))
    if msg is None:
        raise ApiError.bad_request("message to delete not found")
    msg.deleted = True
    ctx.bot.touch(chat)
    return True
