"""«Написать администратору»: a resident's text goes to the admin chat with who sent it; an admin's
reply (reply_to_message) to it is relayed back to the resident."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from telegram_gateway.bot.context import Deps, Turn
from telegram_gateway.bot.states import WriteAdmin
from telegram_gateway.i18n import Catalogue
from telegram_gateway.storage.admin_relay import RelayTarget


async def ask_text(message: Message, state: FSMContext, turn: Turn, deps: Deps) -> None:
    if deps.admin_chat_id is None:
        await state.clear()
        await message.answer(turn.t("admin.unavailable"))
        return
    await state.set_state(WriteAdmin.text)
    await message.answer(turn.t("admin.prompt"))


async def pass_on(message: Message, bot: Bot, state: FSMContext, turn: Turn, deps: Deps) -> None:
    assert message.text is not None and deps.admin_chat_id is not None
    await state.clear()
    admin_t = deps.catalogue.texts(None)  # the admin chat reads the default locale
    sender = message.from_user
    username = f"@{sender.username}" if sender and sender.username else admin_t("admin.no_username")
    text = admin_t(
        "admin.to_admin",
        chat_id=message.chat.id,
        name=sender.full_name if sender else "",
        username=username,
        text=message.text,
    )
    try:
        forwarded = await bot.send_message(deps.admin_chat_id, text)
    except TelegramAPIError:
        await message.answer(turn.t("admin.unavailable"))
        return
    await deps.relay.remember(
        deps.admin_chat_id, forwarded.message_id, RelayTarget(message.chat.id, turn.t.locale)
    )
    await message.answer(turn.t("admin.sent"))


async def text_only(message: Message, turn: Turn) -> None:
    await message.answer(turn.t("admin.text_only"))


async def relay_reply(message: Message, bot: Bot, turn: Turn, deps: Deps) -> None:
    """In the admin chat: a reply to a forwarded resident message goes back to that resident."""
    assert message.reply_to_message is not None
    target = await deps.relay.target(message.chat.id, message.reply_to_message.message_id)
    if target is None:
        await message.answer(turn.t("admin.unknown_target"))
        return
    if not message.text:
        await message.answer(turn.t("admin.reply_text_only"))
        return
    resident_t = deps.catalogue.texts(target.locale)
    try:
        await bot.send_message(target.chat_id, resident_t("admin.reply_to_resident", text=message.text))
    except TelegramAPIError:
        await message.answer(turn.t("admin.not_delivered"))
        return
    await message.answer(turn.t("admin.delivered"))


def router(catalogue: Catalogue, admin_chat_id: int | None) -> Router:
    r = Router(name=__name__)
    if admin_chat_id is not None:
        r.message.register(relay_reply, F.chat.id == admin_chat_id, F.reply_to_message)
    r.message.register(ask_text, F.text.in_(catalogue.labels("btn.write_admin")))
    r.message.register(pass_on, WriteAdmin.text, F.text)
    r.message.register(text_only, WriteAdmin.text)
    return r
