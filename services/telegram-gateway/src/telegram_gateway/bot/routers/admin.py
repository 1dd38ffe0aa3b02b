"""«Написать администратору»: a resident's text goes to the admin chat with who sent it (phone,
masked unless the admin chat is trusted; linked accounts and addresses), split if it would pass
Telegram's limit; an admin's reply (reply_to_message) to any part goes back to the resident. The
admin chat is for this only: anything else there gets a short hint."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from telegram_gateway.bot.context import Deps, Turn
from telegram_gateway.bot.states import WriteAdmin
from telegram_gateway.i18n import Catalogue
from telegram_gateway.replies import mask_phone, split_text
from telegram_gateway.storage.admin_relay import RelayTarget


async def ask_text(message: Message, state: FSMContext, turn: Turn, deps: Deps) -> None:
    if deps.admin_chat_id is None:
        await state.clear()
        await message.answer(turn.t("admin.unavailable"))
        return
    await state.set_state(WriteAdmin.text)
    await message.answer(turn.t("admin.prompt"))


async def _who(message: Message, deps: Deps) -> dict[str, object]:
    """The sender as the admin chat reads it (default locale)."""
    admin_t = deps.catalogue.texts(None)
    sender = message.from_user
    phone = await deps.notes.phone(message.chat.id)
    accounts = await deps.read_model.accounts(message.chat.id)
    linked = "; ".join(f"{a.number} ({a.address})" if a.address else a.number for a in accounts)
    return {
        "chat_id": message.chat.id,
        "name": sender.full_name if sender else "",
        "username": f"@{sender.username}" if sender and sender.username else admin_t("admin.no_username"),
        "phone": (phone if deps.admin_chat_trusted else mask_phone(phone))
        if phone
        else admin_t("admin.no_phone"),
        "accounts": linked or admin_t("admin.no_accounts"),
    }


async def pass_on(message: Message, bot: Bot, state: FSMContext, turn: Turn, deps: Deps) -> None:
    assert message.text is not None and deps.admin_chat_id is not None
    await state.clear()
    admin_t = deps.catalogue.texts(None)  # the admin chat reads the default locale
    text = admin_t("admin.to_admin", **await _who(message, deps), text=message.text)
    target = RelayTarget(message.chat.id, turn.t.locale)
    try:
        for part in split_text(text):  # a long message arrives in parts, never cut off
            forwarded = await bot.send_message(deps.admin_chat_id, part)
            await deps.relay.remember(deps.admin_chat_id, forwarded.message_id, target)
    except TelegramAPIError:
        await message.answer(turn.t("admin.unavailable"))
        return
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
        for part in split_text(resident_t("admin.reply_to_resident", text=message.text)):
            await bot.send_message(target.chat_id, part)
    except TelegramAPIError:
        await message.answer(turn.t("admin.not_delivered"))
        return
    await message.answer(turn.t("admin.delivered"))


async def admin_hint(message: Message, deps: Deps) -> None:
    await message.answer(deps.catalogue.texts(None)("admin.hint"))


async def admin_button(query: CallbackQuery) -> None:
    await query.answer()


def admin_chat_router(admin_chat_id: int | None) -> Router:
    """The admin chat's own handling; first of all routers (that chat is for admin work only)."""
    r = Router(name=f"{__name__}.admin_chat")
    if admin_chat_id is not None:
        in_admin_chat = F.chat.id == admin_chat_id
        r.message.register(relay_reply, in_admin_chat, F.reply_to_message)
        r.message.register(admin_hint, in_admin_chat)
        r.callback_query.register(admin_button, F.message.chat.id == admin_chat_id)
    return r


def router(catalogue: Catalogue) -> Router:
    """The residents' side: after the commands and menu routers, so they act in this input too."""
    r = Router(name=__name__)
    r.message.register(ask_text, F.text.in_(catalogue.labels("btn.write_admin")))
    r.message.register(pass_on, WriteAdmin.text, F.text)
    r.message.register(text_only, WriteAdmin.text)
    return r
