"""The main menu and «Начать работу» menu; /exit and «Выход» leave any input."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from telegram_gateway.bot.context import Deps, Turn
from telegram_gateway.bot.filters import registered
from telegram_gateway.bot.keyboards import contact_keyboard, main_menu, work_menu
from telegram_gateway.i18n import Catalogue


async def exit_input(message: Message, state: FSMContext, turn: Turn, deps: Deps) -> None:
    await state.clear()
    if await registered(message, turn, deps):
        await message.answer(turn.t("menu.exited"), reply_markup=main_menu(turn.t))
    else:
        await message.answer(turn.t("registration.required"), reply_markup=contact_keyboard(turn.t))


async def start_work(message: Message, state: FSMContext, turn: Turn) -> None:
    await state.clear()
    await message.answer(turn.t("menu.work"), reply_markup=work_menu(turn.t))


async def back(message: Message, state: FSMContext, turn: Turn) -> None:
    await state.clear()
    await message.answer(turn.t("menu.back"), reply_markup=main_menu(turn.t))


def router(catalogue: Catalogue) -> Router:
    r = Router(name=__name__)
    r.message.register(exit_input, Command("exit"))
    r.message.register(start_work, F.text.in_(catalogue.labels("btn.start_work")), registered)
    r.message.register(back, F.text.in_(catalogue.labels("btn.exit")), registered)
    return r
