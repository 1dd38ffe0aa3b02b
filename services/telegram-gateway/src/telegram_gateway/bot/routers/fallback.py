"""Last resort: every message gets an answer, every button press is answered."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.types import CallbackQuery, Message

from telegram_gateway.bot.callbacks import ConfirmCb
from telegram_gateway.bot.context import Deps, Turn
from telegram_gateway.bot.filters import registered
from telegram_gateway.bot.keyboards import contact_keyboard, main_menu


async def any_message(message: Message, turn: Turn, deps: Deps) -> None:
    if await registered(message, turn, deps):
        await message.answer(turn.t("common.unknown_input"), reply_markup=main_menu(turn.t))
    else:
        await message.answer(turn.t("registration.required"), reply_markup=contact_keyboard(turn.t))


async def any_callback(query: CallbackQuery, bot: Bot, turn: Turn, deps: Deps) -> None:
    """An old, foreign or forged button (or one pressed before registering)."""
    await query.answer()
    if await registered(query, turn, deps):
        await bot.send_message(turn.chat_id, turn.t("common.button_outdated"))
    else:
        await bot.send_message(
            turn.chat_id, turn.t("registration.required"), reply_markup=contact_keyboard(turn.t)
        )


async def confirm_expired(query: CallbackQuery, bot: Bot, turn: Turn) -> None:
    """«Да»/«Нет» under a question the chat is no longer at: nothing happens, and it says so."""
    await query.answer()
    await bot.send_message(turn.chat_id, turn.t("common.confirm_expired"))


async def edited(message: Message, turn: Turn) -> None:
    await message.answer(turn.t("common.edited_ignored"))


def router() -> Router:
    r = Router(name=__name__)
    r.message.register(any_message)
    r.callback_query.register(confirm_expired, ConfirmCb.filter())
    r.callback_query.register(any_callback)
    r.edited_message.register(edited)
    return r
