"""The «Да» / «Нет» question before a destructive button acts: asking puts the chat at the question
(FSM state Confirm.asked with the action and the ref, what `filters.still_asked` checks) and gives
its buttons; `answer` filters the pressed «Да» or «Нет» for one action."""

from __future__ import annotations

from aiogram import F
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import InlineKeyboardMarkup

from telegram_gateway.bot.callbacks import ConfirmCb, Destructive, ref_for
from telegram_gateway.bot.keyboards import confirm_keyboard
from telegram_gateway.bot.states import Confirm
from telegram_gateway.i18n import Texts


async def ask(state: FSMContext, t: Texts, action: Destructive, value: str) -> InlineKeyboardMarkup:
    """Puts the chat at the question about `action` on `value` (an account number or a meter id);
    returns the «Да» / «Нет» buttons to send under the question."""
    ref = ref_for(value)
    await state.set_state(Confirm.asked)
    await state.set_data({"action": action.value, "ref": ref})
    return confirm_keyboard(t, action, ref)


def answer(action: Destructive, *, yes: bool) -> CallbackQueryFilter:
    """«Да» (yes=True) or «Нет» (yes=False) pressed under a question about `action`."""
    return ConfirmCb.filter((F.action == action) & (F.yes if yes else ~F.yes))
