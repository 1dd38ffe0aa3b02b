"""/start and the shared contact (PhoneShared). The identity service decides; its event answers."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from meterbot_contracts.identity import PhoneShared

from telegram_gateway.bot.context import Deps, Turn
from telegram_gateway.bot.filters import registered
from telegram_gateway.bot.keyboards import contact_keyboard, main_menu


async def start(message: Message, state: FSMContext, turn: Turn, deps: Deps) -> None:
    await state.clear()
    if await registered(message, turn, deps):
        await message.answer(turn.t("start.main_menu"), reply_markup=main_menu(turn.t))
    else:
        await message.answer(turn.t("start.greeting"), reply_markup=contact_keyboard(turn.t))


async def contact(message: Message, state: FSMContext, turn: Turn, deps: Deps) -> None:
    assert message.contact is not None and message.from_user is not None
    card, sender = message.contact, message.from_user
    await state.clear()
    command = PhoneShared(
        chat_id=message.chat.id,
        user_id=sender.id,
        contact_user_id=card.user_id,  # identity refuses someone else's card
        phone=card.phone_number[:32],
        first_name=(card.first_name or "")[:256],
        last_name=card.last_name[:256] if card.last_name else None,
        language=sender.language_code[:16] if sender.language_code else None,
    )
    if not await deps.bus.send(turn, "register", command):
        await message.answer(turn.t("common.send_failed"))


def router() -> Router:
    r = Router(name=__name__)
    r.message.register(start, CommandStart())
    r.message.register(contact, F.contact)
    return r
