"""Filters handlers share. The ownership filters check a button's reference against what this chat
owns in the read model and inject the object (`account` / `meter`); a button that refers to
something else does not pass, and its router's not-owned handler answers."""

from __future__ import annotations

from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import TelegramObject

from telegram_gateway.bot.callbacks import ConfirmCb, ref_matches
from telegram_gateway.bot.context import Deps, Turn
from telegram_gateway.bot.states import Confirm


async def registered(event: TelegramObject, turn: Turn, deps: Deps) -> bool:
    """The chat is a registered resident (read model); looked up once per update."""
    if turn.registered is None:
        turn.registered = await deps.read_model.is_registered(turn.chat_id)
    return turn.registered


async def unregistered(event: TelegramObject, turn: Turn, deps: Deps) -> bool:
    return not await registered(event, turn, deps)


def _ref(callback_data: CallbackData) -> str:
    return str(getattr(callback_data, "ref", ""))


async def owned_account(
    event: TelegramObject, callback_data: CallbackData, turn: Turn, deps: Deps
) -> dict[str, Any] | bool:
    """The account the button refers to, if (and only if) it is linked to this chat."""
    ref = _ref(callback_data)
    for account in await deps.read_model.accounts(turn.chat_id):
        if ref_matches(ref, account.number):
            return {"account": account}
    return False


async def owned_meter(
    event: TelegramObject, callback_data: CallbackData, turn: Turn, deps: Deps
) -> dict[str, Any] | bool:
    """The meter the button refers to, if it belongs to an account linked to this chat -- closed
    ones too, so the resident hears that it is closed rather than that it is not theirs."""
    ref = _ref(callback_data)
    for meter in await deps.read_model.meters_of_chat(turn.chat_id, with_closed=True):
        if ref_matches(ref, meter.meter_id):
            return {"meter": meter}
    return False


async def still_asked(event: TelegramObject, callback_data: ConfirmCb, state: FSMContext) -> bool:
    """The chat is still at this very question: an old «Да» (after /exit, another menu button or
    another question) does nothing."""
    if await state.get_state() != Confirm.asked.state:
        return False
    data = await state.get_data()
    return data.get("action") == callback_data.action.value and data.get("ref") == callback_data.ref
