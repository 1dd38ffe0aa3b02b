"""Personal accounts: add (number, then surname -> AccountLinkRequested), choose, remove
(AccountUnlinkRequested). Answers to the commands come with the accounts service's events."""

from __future__ import annotations

import re

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from meterbot_contracts.accounts import AccountLinkRequested, AccountUnlinkRequested

from telegram_gateway.bot.callbacks import AccountAction, AccountCb, ref_matches
from telegram_gateway.bot.context import Deps, Turn
from telegram_gateway.bot.filters import registered
from telegram_gateway.bot.keyboards import account_actions, accounts_keyboard
from telegram_gateway.bot.states import AddAccount
from telegram_gateway.i18n import Catalogue
from telegram_gateway.readmodel import LinkedAccount

MAX_NUMBER = 32  # AccountLinkRequested.account_number
MAX_SURNAME = 128
_DIGITS = re.compile(r"[0-9]+")


async def owned_account(deps: Deps, turn: Turn, ref: str) -> LinkedAccount | None:
    """The account a button refers to, if (and only if) it is linked to this chat."""
    return next((a for a in await deps.read_model.accounts(turn.chat_id) if ref_matches(ref, a.number)), None)


async def ask_number(message: Message, state: FSMContext, turn: Turn) -> None:
    await state.set_state(AddAccount.number)
    await message.answer(turn.t("account.enter_number"))


async def take_number(message: Message, state: FSMContext, turn: Turn) -> None:
    number = (message.text or "").strip()
    if not _DIGITS.fullmatch(number):
        await message.answer(turn.t("account.digits_only"))
        return
    if len(number) > MAX_NUMBER:
        await message.answer(turn.t("account.too_long", max=MAX_NUMBER))
        return
    await state.set_state(AddAccount.surname)
    await state.set_data({"number": number})
    await message.answer(turn.t("account.entered", number=number))


async def number_fallback(message: Message, turn: Turn) -> None:
    await message.answer(turn.t("account.digits_only"))


async def take_surname(message: Message, state: FSMContext, turn: Turn, deps: Deps) -> None:
    surname = (message.text or "").strip()  # quoted back verbatim in the wrong-pair reply
    if len(surname) > MAX_SURNAME:
        await message.answer(turn.t("account.surname_too_long", max=MAX_SURNAME))
        return
    number = str((await state.get_data())["number"])
    await state.clear()
    command = AccountLinkRequested(chat_id=turn.chat_id, account_number=number, surname=surname)
    # The refusal event does not carry the surname; the reply quotes what the resident typed.
    if not await deps.bus.send(turn, "link", command, {"number": number, "surname": surname}):
        await message.answer(turn.t("common.send_failed"))


async def surname_fallback(message: Message, turn: Turn) -> None:
    await message.answer(turn.t("account.surname_text_only"))


async def list_accounts(message: Message, state: FSMContext, turn: Turn, deps: Deps) -> None:
    await _list(
        message, state=state, turn=turn, deps=deps, action=AccountAction.SELECT, prompt="account.choose"
    )


async def list_for_removal(message: Message, state: FSMContext, turn: Turn, deps: Deps) -> None:
    await _list(
        message,
        state=state,
        turn=turn,
        deps=deps,
        action=AccountAction.UNLINK,
        prompt="account.choose_to_remove",
    )


async def _list(
    message: Message, *, state: FSMContext, turn: Turn, deps: Deps, action: AccountAction, prompt: str
) -> None:
    await state.clear()
    accounts = await deps.read_model.accounts(turn.chat_id)
    if not accounts:
        await message.answer(turn.t("account.none_linked"))
        return
    await message.answer(turn.t(prompt), reply_markup=accounts_keyboard(accounts, action))


async def select(query: CallbackQuery, callback_data: AccountCb, bot: Bot, turn: Turn, deps: Deps) -> None:
    await query.answer()
    account = await owned_account(deps, turn, callback_data.ref)
    if account is None:
        await bot.send_message(turn.chat_id, turn.t("account.not_owned"))
        return
    text = (
        turn.t("account.selected_address", number=account.number, address=account.address)
        if account.address
        else turn.t("account.selected", number=account.number)
    )
    await bot.send_message(turn.chat_id, text, reply_markup=account_actions(turn.t, account.number))


async def unlink(query: CallbackQuery, callback_data: AccountCb, bot: Bot, turn: Turn, deps: Deps) -> None:
    await query.answer()
    account = await owned_account(deps, turn, callback_data.ref)
    if account is None:
        await bot.send_message(turn.chat_id, turn.t("account.not_owned"))
        return
    command = AccountUnlinkRequested(chat_id=turn.chat_id, account_number=account.number)
    if not await deps.bus.send(turn, "unlink", command, {"number": account.number}):
        await bot.send_message(turn.chat_id, turn.t("common.send_failed"))


def router(catalogue: Catalogue) -> Router:
    r = Router(name=__name__)
    r.message.filter(registered)
    r.callback_query.filter(registered)
    r.message.register(ask_number, F.text.in_(catalogue.labels("btn.add_account")))
    r.message.register(list_accounts, F.text.in_(catalogue.labels("btn.select_account")))
    r.message.register(list_for_removal, F.text.in_(catalogue.labels("btn.remove_account")))
    r.message.register(take_number, AddAccount.number, F.text)
    r.message.register(number_fallback, AddAccount.number)
    r.message.register(take_surname, AddAccount.surname, F.text)
    r.message.register(surname_fallback, AddAccount.surname)
    r.callback_query.register(select, AccountCb.filter(F.action == AccountAction.SELECT))
    r.callback_query.register(unlink, AccountCb.filter(F.action == AccountAction.UNLINK))
    return r
