"""Filters handlers share."""

from __future__ import annotations

from aiogram.types import TelegramObject

from telegram_gateway.bot.context import Deps, Turn


async def registered(event: TelegramObject, turn: Turn, deps: Deps) -> bool:
    """The chat is a registered resident (read model); looked up once per update."""
    if turn.registered is None:
        turn.registered = await deps.read_model.is_registered(turn.chat_id)
    return turn.registered


async def unregistered(event: TelegramObject, turn: Turn, deps: Deps) -> bool:
    return not await registered(event, turn, deps)
