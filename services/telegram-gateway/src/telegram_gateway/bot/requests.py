"""A handler's request to a domain service: the command goes out through the bus; if it cannot, the
resident is told at once. Handlers return the result, so the update middleware knows the reply is
deferred to the answering event (and times it there)."""

from __future__ import annotations

from aiogram import Bot
from meterbot_contracts import Message

from telegram_gateway.bot.context import Deps, Turn
from telegram_gateway.commands import Sent
from telegram_gateway.storage.pending import ReplyContext


async def request(
    bot: Bot, turn: Turn, deps: Deps, command: Message, context: ReplyContext | None = None
) -> Sent | None:
    sent = await deps.bus.send(turn.requester(), command, context)
    if sent is None:
        await bot.send_message(turn.chat_id, turn.t("common.send_failed"))
    return sent
