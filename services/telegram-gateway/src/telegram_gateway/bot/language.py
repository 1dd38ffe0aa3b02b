"""The language a resident chose with /language wins over Telegram's language_code: an outer
middleware after GatewayMiddleware swaps the turn's texts (one primary-key lookup per update)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from telegram_gateway.bot.context import Turn
from telegram_gateway.i18n import Catalogue
from telegram_gateway.readmodel.info import InfoQueries

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class ChosenLanguage(BaseMiddleware):
    def __init__(self, catalogue: Catalogue, queries: InfoQueries) -> None:
        self._catalogue, self._queries = catalogue, queries

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        turn: Turn | None = data.get("turn")
        if turn is not None and turn.chat_id:
            chosen = await self._queries.chosen_locale(turn.chat_id)
            if chosen is not None and chosen != turn.t.locale:
                turn.t = self._catalogue.texts(chosen)
        return await handler(event, data)
