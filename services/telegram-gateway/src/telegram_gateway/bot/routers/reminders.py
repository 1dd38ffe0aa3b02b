"""«Напоминания: вкл/выкл» in the main menu: turns the chat's reminders and verification notices
off and on again (default on). Leaves any input as it is."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import Message

from telegram_gateway.bot.context import Deps, Turn
from telegram_gateway.bot.filters import registered
from telegram_gateway.i18n import Catalogue


async def toggle_reminders(message: Message, turn: Turn, deps: Deps) -> None:
    on = await deps.prefs.toggle(turn.chat_id) if deps.prefs is not None else True
    await message.answer(turn.t("reminders.turned_on" if on else "reminders.turned_off"))


def router(catalogue: Catalogue) -> Router:
    r = Router(name=__name__)
    r.message.register(toggle_reminders, F.text.in_(catalogue.labels("reminders.button")), registered)
    return r
