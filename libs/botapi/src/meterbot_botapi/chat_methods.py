"""Bot API methods around chats: callback answers, bot commands, chat actions, getChat, forward/copy."""

from __future__ import annotations

import copy
import re

from .base import JSON, ApiError
from .methods import Ctx, method, send, target_chat, text_content
from .params import Params
from .records import ChatState, StoredMessage

CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")


@method("answerCallbackQuery")
async def answer_callback_query(ctx: Ctx, p: Params) -> bool:
    record = ctx.bot.callbacks.get(p.string("callback_query_id", required=True) or "")
    if record is None or record.answer is not None:
        raise ApiError.bad_request("query is too old and response timeout expired or query ID is invalid")
    record.answer = {
        "callback_query_id": record.query["id"],
        "text": p.string("text"),
        "show_alert": p.boolean("show_alert"),
        "url": p.string("url"),
        "cache_time": p.integer("cache_time", default=0),
    }
    ctx.bot.touch()
    return True


@method("setMyCommands")
async def set_my_commands(ctx: Ctx, p: Params) -> bool:
    commands = p.json("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise ApiError.bad_request("can't parse commands JSON object")
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND_RE.match(str(command.get("command", ""))):
            raise ApiError.bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise ApiError.bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    key = ctx.bot.commands_key(p.json_object("scope"), p.string("language_code"))
    ctx.bot.commands[key] = [{"command": c["command"], "description": c["description"]} for c in commands]
    return True


@method("getMyCommands")
async def get_my_commands(ctx: Ctx, p: Params) -> list[JSON]:
    key = ctx.bot.commands_key(p.json_object("scope"), p.string("language_code"))
    return copy.deepcopy(ctx.bot.commands.get(key, []))


@method("deleteMyCommands")
async def delete_my_commands(ctx: Ctx, p: Params) -> bool:
    ctx.bot.commands.pop(ctx.bot.commands_key(p.json_object("scope"), p.string("language_code")), None)
    return True


@method("sendChatAction")
async def send_chat_action(ctx: Ctx, p: Params) -> bool:
    chat = target_chat(ctx, p.chat_id())
    action = p.string("action", required=True)
    if action not in CHAT_ACTIONS:
        raise ApiError.bad_request("wrong parameter action in request")
    chat.actions.append(action)
    ctx.bot.touch(chat)
    return True


@method("getChat")
async def get_chat(ctx: Ctx, p: Params) -> JSON:
    chat_id = p.chat_id()
    base = ctx.bot.user if chat_id == ctx.bot.bot_id else ctx.bot.chat(chat_id).chat
    info = {
        k: v for k, v in base.items() if k in ("id", "type", "title", "first_name", "last_name", "username")
    }
    gifts = dict.fromkeys(
        ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription", "gifts_from_channels"),
        False,
    )
    return {
        **info,
        "type": info.get("type", "private"),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": gifts,
    }


def _copied_content(ctx: Ctx, p: Params) -> tuple[ChatState, StoredMessage]:
    source_chat = ctx.bot.chat(p.chat_id("from_chat_id"))
    msg = source_chat.message(p.required_int("message_id"))
    if msg is None:
        raise ApiError.bad_request("message to copy not found")
    return target_chat(ctx, p.chat_id()), msg


_CONTENT_KEYS = ("text", "entities", "caption", "caption_entities", "photo", "document", "sticker", "contact")


@method("forwardMessage")
async def forward_message(ctx: Ctx, p: Params) -> JSON:
    target, msg = _copied_content(ctx, p)
    content = {k: copy.deepcopy(v) for k, v in msg.data.items() if k in _CONTENT_KEYS}
    content["forward_origin"] = {"type": "user", "sender_user": msg.data["from"], "date": msg.data["date"]}
    stored = ctx.bot.add_message(
        target,
        sender=ctx.bot.user,
        from_bot=True,
        content=content,
        raw_text=msg.raw_text,
        parse_mode=msg.parse_mode,
    )
    return copy.deepcopy(stored.data)


@method("copyMessage")
async def copy_message(ctx: Ctx, p: Params) -> JSON:
    target, msg = _copied_content(ctx, p)
    content = {k: copy.deepcopy(v) for k, v in msg.data.items() if k in _CONTENT_KEYS}
    raw = msg.raw_text
    if p.has("caption") and "text" not in content:
        content.pop("caption_entities", None)
        caption, raw = text_content(p, field="caption")
        content.update(caption)
    sent = send(ctx, target, p, content, raw)
    return {"message_id": sent["message_id"]}
