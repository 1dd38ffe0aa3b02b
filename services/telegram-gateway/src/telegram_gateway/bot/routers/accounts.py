"""Personal accounts: add (number, then surname -> AccountLinkRequested), choose, remove
(a question «Да/Нет», then AccountUnlinkRequested). Answers to the commands come with the accounts
service's events."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from meterbot_contracts.accounts import AccountLinkRequested, AccountUnlinkRequested
from meterbot_contracts.fields import ACCOUNT_NUMBER_MAX, SURNAME_MAX

from telegram_gateway.bot import confirm
from telegram_gateway.bot.callbacks import AccountAction, AccountCb, Destructive
from telegram_gateway.bot.context import Deps, Turn
from telegram_gateway.bot.filters import owned_account, registered, still_asked
from telegram_gateway.bot.keyboards import account_actions, accounts_keyboard
from telegram_gateway.bot.requests import request
from telegram_gateway.bot.states import AddAccount
from telegram_gateway.bot.validation import single_line
from telegram_gateway.commands import Sent
from telegram_gateway.i18n import Catalogue
from telegram_gateway.periods import local_time
from telegram_gateway.readmodel import LinkedAccount
from telegram_gateway.storage.pending import ReplyContext

MAX_NUMBER, MAX_SURNAME = ACCOUNT_NUMBER_MAX, SURNAME_MAX  # AccountLinkRequested's limits
_DIGITS = re.compile(r"[0-9]+")


async def ask_number(message: Message, state: FSMContext, turn: Turn, deps: Deps) -> None:
    # A locked-out chat hears so now, not after typing a number and a surname.
    until = await deps.read_model.link_locked_until(turn.chat_id, datetime.now(UTC))
    if until is not None:
        await state.clear()
        await message.answer(turn.t("account.locked_out", until=local_time(until, deps.tz)))
        return
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


async def take_surname(message: Message, bot: Bot, state: FSMContext, turn: Turn, deps: Deps) -> Sent | None:
    surname = single_line(message.text)  # quoted back verbatim in the wrong-pair reply
    if surname is None:
        await message.answer(turn.t("account.surname_text_only"))
        return None
    if len(surname) > MAX_SURNAME:
        await message.answer(turn.t("account.surname_too_long", max=MAX_SURNAME))
        return None
    number = str((await state.get_data())["number"])
    await state.clear()
    command = AccountLinkRequested(chat_id=turn.chat_id, account_number=number, surname=surname)
    return await request(bot, turn, deps, command, ReplyContext(account_number=number, surname=surname))


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


async def select(query: CallbackQuery, bot: Bot, turn: Turn, account: LinkedAccount) -> None:
    await query.answer()
    text = (
        turn.t("account.selected_address", number=account.number, address=account.address)
        if account.address
        else turn.t("account.selected", number=account.number)
    )
    await bot.send_message(turn.chat_id, text, reply_markup=account_actions(turn.t, account.number))


async def ask_unlink(
    query: CallbackQuery, bot: Bot, state: FSMContext, turn: Turn, account: LinkedAccount
) -> None:
    """An account button from «Удалить ЛС» (maybe an old one): ask before unlinking."""
    await query.answer()
    buttons = await confirm.ask(state, turn.t, Destructive.UNLINK, account.number)
    await bot.send_message(
        turn.chat_id, turn.t("account.confirm_unlink", number=account.number), reply_markup=buttons
    )


async def unlink_confirmed(
    query: CallbackQuery, *, bot: Bot, state: FSMContext, turn: Turn, deps: Deps, account: LinkedAccount
) -> Sent | None:
    await query.answer()
    await state.clear()
    command = AccountUnlinkRequested(chat_id=turn.chat_id, account_number=account.number)
    return await request(bot, turn, deps, command, ReplyContext(account_number=account.number))


async def unlink_declined(query: CallbackQuery, bot: Bot, state: FSMContext, turn: Turn) -> None:
    await query.answer()
    await state.clear()
    await bot.send_message(turn.chat_id, turn.t("account.unlink_declined"))


async def account_not_owned(query: CallbackQuery, bot: Bot, turn: Turn) -> None:
    await query.answer()
    await bot.send_message(turn.chat_id, turn.t("account.not_owned"))


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
    r.callback_query.register(select, AccountCb.filter(F.action == AccountAction.SELECT), owned_account)
    r.callback_query.register(ask_unlink, AccountCb.filter(F.action == AccountAction.UNLINK), owned_account)
    yes, no = confirm.answer(Destructive.UNLINK, yes=True), confirm.answer(Destructive.UNLINK, yes=False)
    r.callback_query.register(unlink_confirmed, yes, owned_account, still_asked)
    r.callback_query.register(unlink_declined, no, still_asked)
    r.callback_query.register(
        account_not_owned, AccountCb.filter(F.action.in_({AccountAction.SELECT, AccountAction.UNLINK}))
    )
    return r
