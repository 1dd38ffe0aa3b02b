"""/start and the shared contact (PhoneShared). The identity service decides; its event answers.
A registered resident's /start opens the work buttons, as the seed manual says («наберите /start
... В ответ появятся четыре кнопки»)."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from meterbot_contracts.identity import PhoneShared

from telegram_gateway.bot.context import Deps, Turn
from telegram_gateway.bot.filters import registered
from telegram_gateway.bot.keyboards import contact_keyboard, work_menu
from telegram_gateway.bot.requests import request
from telegram_gateway.bot.validation import has_control_chars, single_line
from telegram_gateway.commands import Sent


async def start(message: Message, state: FSMContext, turn: Turn, deps: Deps) -> None:
    await state.clear()
    if await registered(message, turn, deps):
        await message.answer(turn.t("start.work_menu"), reply_markup=work_menu(turn.t))
    else:
        await message.answer(turn.t("start.greeting"), reply_markup=contact_keyboard(turn.t))


def _name(value: str | None, limit: int) -> str:
    return "".join(ch for ch in (value or "") if not has_control_chars(ch)).strip()[:limit]


async def contact(message: Message, bot: Bot, state: FSMContext, turn: Turn, deps: Deps) -> Sent | None:
    assert message.contact is not None and message.from_user is not None
    card, sender = message.contact, message.from_user
    await state.clear()
    phone = single_line(card.phone_number)
    if phone is None:  # a card without a number: nothing identity could register
        await message.answer(turn.t("registration.no_phone"), reply_markup=contact_keyboard(turn.t))
        return None
    command = PhoneShared(
        chat_id=message.chat.id,
        user_id=sender.id,
        contact_user_id=card.user_id,  # identity refuses someone else's card
        phone=phone[:32],
        first_name=_name(card.first_name, 256),
        last_name=_name(card.last_name, 256) or None,
        language=sender.language_code[:16] if sender.language_code else None,
    )
    if card.user_id == sender.id:  # shown to the administrator with the resident's messages
        await deps.notes.remember_phone(message.chat.id, phone[:32])
    return await request(bot, turn, deps, command)


def router() -> Router:
    r = Router(name=__name__)
    r.message.register(start, CommandStart(ignore_case=True))
    r.message.register(contact, F.contact)
    return r
