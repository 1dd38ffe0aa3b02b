"""Bot API methods around chats: callback answers and the bot's command menu."""

from __future__ import annotations

import copy
import re

from .base import JSON, ApiError
from .methods import Ctx
from .params import Params

_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")


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


async def get_my_commands(ctx: Ctx, p: Params) -> list[JSON]:
    key = ctx.bot.commands_key(p.json_object("scope"), p.string("language_code"))
    return copy.deepcopy(ctx.bot.commands.get(key, []))


async def get_file(ctx: Ctx, p: Params) -> JSON:
    """A File for a file_id residents sent this bot: its bytes at ``/file/bot<token>/<file_path>``."""
    stored = ctx.bot.files.get(p.string("file_id", required=True) or "")
    if stored is None:
        raise ApiError.bad_request("invalid file_id")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
        "file_path": stored.file_path,
    }
