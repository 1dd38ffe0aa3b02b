"""How the gateway talks to a resident outside a handler (replies to events, timeouts, admin
answers). Without a bot token the gateway still runs and these replies are only logged."""

from __future__ import annotations

import logging
from typing import Protocol

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove

log = logging.getLogger(__name__)

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


class Messenger(Protocol):
    async def send(self, chat_id: int, text: str, markup: Markup | None = None) -> bool:
        """Deliver `text`; False if it could not be (the caller carries on either way)."""
        ...


class BotMessenger:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, chat_id: int, text: str, markup: Markup | None = None) -> bool:
        try:
            await self.bot.send_message(chat_id, text, reply_markup=markup)
        except TelegramAPIError as exc:
            # A resident who blocked the bot must not stall the event consumer.
            log.warning("could not send to a chat: %s", exc)
            return False
        return True


class NullMessenger:
    """No bot configured: replies go nowhere (a local chat page may take their place later)."""

    async def send(self, chat_id: int, text: str, markup: Markup | None = None) -> bool:
        log.info("no Telegram bot configured; reply not sent")
        return False
