"""«Удалить мои данные» (and /erase): asks Да/Нет, then sends ResidentErasureRequested to identity.

The answer comes at once, not with an event: identity answers nothing for a chat it does not know,
and once it has erased the chat, this gateway's read model forgets the chat (and its pending
requests, input state and admin relay rows) from identity's ResidentErased; accounts unlinks the
chat's accounts from the same event. The confirmation is a state of this chat: a Да button pressed
in any other state (an old or forged one) is refused by the fallback."""

from __future__ import annotations

from enum import StrEnum

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from meterbot_contracts.identity import ResidentErasureRequested

from telegram_gateway.bot.context import Deps, Turn
from telegram_gateway.bot.filters import registered
from telegram_gateway.bot.keyboards import contact_keyboard, main_menu
from telegram_gateway.bot.states import EraseData
from telegram_gateway.i18n import Catalogue, Texts


class EraseAnswer(StrEnum):
    YES = "yes"
    NO = "no"


class EraseCb(CallbackData, prefix="erase"):
    answer: EraseAnswer


def confirm_keyboard(t: Texts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=t(f"erase.{answer}"), callback_data=EraseCb(answer=answer).pack())
                for answer in EraseAnswer
            ]
        ]
    )


async def ask(message: Message, state: FSMContext, turn: Turn) -> None:
    await state.set_state(EraseData.confirm)
    await message.answer(turn.t("erase.confirm"), reply_markup=confirm_keyboard(turn.t))


async def _decided(bot: Bot, yes: bool, state: FSMContext, turn: Turn, deps: Deps) -> None:
    await state.clear()
    if not yes:
        is_resident = await deps.read_model.is_registered(turn.chat_id)
        markup = main_menu(turn.t) if is_resident else contact_keyboard(turn.t)
        await bot.send_message(turn.chat_id, turn.t("erase.kept"), reply_markup=markup)
        return
    if not await deps.bus.publish(ResidentErasureRequested(chat_id=turn.chat_id)):
        await bot.send_message(turn.chat_id, turn.t("common.send_failed"))
        return
    await bot.send_message(turn.chat_id, turn.t("erase.done"), reply_markup=contact_keyboard(turn.t))


async def pressed(
    query: CallbackQuery, callback_data: EraseCb, *, bot: Bot, state: FSMContext, turn: Turn, deps: Deps
) -> None:
    await query.answer()
    await _decided(bot, callback_data.answer == EraseAnswer.YES, state, turn, deps)


async def typed_answer(message: Message, bot: Bot, state: FSMContext, turn: Turn, deps: Deps) -> None:
    yes = (message.text or "").strip().casefold() in {turn.t("erase.yes").casefold(), "да", "yes"}
    await _decided(bot, yes, state, turn, deps)


async def neither(message: Message, turn: Turn) -> None:
    """The state's fallback: anything but Да/Нет (menu buttons and commands are handled before)."""
    await message.answer(turn.t("erase.answer_yes_no"), reply_markup=confirm_keyboard(turn.t))


def entry_router(catalogue: Catalogue) -> Router:
    """/erase and the menu button; before main_menu, whose catch-all answers unknown commands."""
    r = Router(name=f"{__name__}.entry")
    r.message.register(ask, Command("erase", ignore_case=True))
    r.message.register(ask, F.text.in_(catalogue.labels("btn.erase_data")), registered)
    return r


def router(catalogue: Catalogue) -> Router:
    """The open question; after main_menu, so /exit and the menus still leave it."""
    answers = catalogue.labels("erase.yes") | catalogue.labels("erase.no")
    answers |= {a.casefold() for a in answers} | {a.upper() for a in answers}
    r = Router(name=__name__)
    r.callback_query.register(pressed, EraseCb.filter(), StateFilter(EraseData.confirm))
    is_answer = F.text.func(lambda text: text is not None and text.strip() in answers)  # None: a sticker...
    r.message.register(typed_answer, StateFilter(EraseData.confirm), is_answer)
    r.message.register(neither, StateFilter(EraseData.confirm))
    return r
