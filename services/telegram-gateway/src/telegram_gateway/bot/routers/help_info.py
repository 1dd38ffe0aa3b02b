"""/help and «Справка»: a short guide (from the seed manual; the limits it names come from the
settings). Leaves any input as it is."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import Message

from telegram_gateway.bot.context import Turn
from telegram_gateway.i18n import Catalogue


async def show_help(message: Message, turn: Turn) -> None:
    await message.answer(turn.t("help.text"))


def router(catalogue: Catalogue) -> Router:
    r = Router(name=__name__)
    r.message.register(show_help, Command("help", ignore_case=True))
    r.message.register(show_help, F.text.in_(catalogue.labels("btn.help")))
    return r
