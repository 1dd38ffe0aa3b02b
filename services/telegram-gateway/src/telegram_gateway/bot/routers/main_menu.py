"""The main menu and «Начать работу» menu; /exit and «Выход» leave any input. Commands act as
commands in any input (an unknown one is answered, never taken as a surname or a value)."""

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
    was_in_input = await state.get_state() is not None
    await state.clear()
    if not await registered(message, turn, deps):
        await message.answer(turn.t("registration.required"), reply_markup=contact_keyboard(turn.t))
        return
    text = turn.t("menu.exited") if was_in_input else turn.t("menu.nothing_to_exit")
    await message.answer(text, reply_markup=main_menu(turn.t))


async def start_work(message: Message, state: FSMContext, turn: Turn) -> None:
    await state.clear()
    await message.answer(turn.t("menu.work"), reply_markup=work_menu(turn.t))


async def back(message: Message, state: FSMContext, turn: Turn) -> None:
    await state.clear()
    await message.answer(turn.t("menu.back"), reply_markup=main_menu(turn.t))


async def unknown_command(message: Message, turn: Turn) -> None:
    """Any other /command, also in the middle of an input (which stays as it was)."""
    command = (message.text or "").split(maxsplit=1)[0][:64]
    await message.answer(turn.t("common.unknown_command", command=command))


def router(catalogue: Catalogue) -> Router:
    r = Router(name=__name__)
    r.message.register(exit_input, Command("exit", ignore_case=True))
    r.message.register(start_work, F.text.in_(catalogue.labels("btn.start_work")), registered)
    r.message.register(back, F.text.in_(catalogue.labels("btn.exit")), registered)
    r.message.register(unknown_command, F.text.regexp(r"^/[A-Za-z0-9_@]+(\s|$)"))
    return r
