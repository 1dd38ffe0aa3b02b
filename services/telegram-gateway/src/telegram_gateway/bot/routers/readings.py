"""Readings for a chosen account: meter buttons (always, even for one meter) -> value prompt with the
previous value -> ReadingSubmitted with the raw text; this period's readings; withdrawing one."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from meterbot_contracts.readings import ReadingSubmitted, ReadingWithdrawalRequested

from telegram_gateway.bot.callbacks import AccountAction, AccountCb, MeterCb, WithdrawCb, ref_matches
from telegram_gateway.bot.context import Deps, Turn
from telegram_gateway.bot.filters import registered
from telegram_gateway.bot.keyboards import meter_label, meters_keyboard, withdraw_keyboard
from telegram_gateway.bot.routers.accounts import owned_account
from telegram_gateway.bot.states import EnterReading
from telegram_gateway.readmodel import MeterView
from telegram_gateway.replies import format_value, period_name

MAX_RAW = 64  # ReadingSubmitted.raw_value: longer text is no number anyway; readings says so


async def owned_meter(deps: Deps, turn: Turn, ref: str) -> MeterView | None:
    """The open meter a button refers to, if it belongs to an account linked to this chat."""
    return next(
        (m for m in await deps.read_model.meters_of_chat(turn.chat_id) if ref_matches(ref, m.meter_id)), None
    )


async def list_meters(
    query: CallbackQuery, callback_data: AccountCb, bot: Bot, turn: Turn, deps: Deps
) -> None:
    await query.answer()
    account = await owned_account(deps, turn, callback_data.ref)
    if account is None:
        await bot.send_message(turn.chat_id, turn.t("account.not_owned"))
        return
    meters = await deps.read_model.meters(turn.chat_id, account.number)
    if not meters:
        await bot.send_message(turn.chat_id, turn.t("reading.no_meters", number=account.number))
        return
    await bot.send_message(
        turn.chat_id, turn.t("reading.choose_meter"), reply_markup=meters_keyboard(turn.t, meters)
    )


async def view_period(
    query: CallbackQuery, callback_data: AccountCb, bot: Bot, turn: Turn, deps: Deps
) -> None:
    await query.answer()
    account = await owned_account(deps, turn, callback_data.ref)
    if account is None:
        await bot.send_message(turn.chat_id, turn.t("account.not_owned"))
        return
    period = deps.current_period()
    readings = await deps.read_model.period_readings(turn.chat_id, account.number, period)
    name = period_name(turn.t, period)
    if not readings:
        await bot.send_message(turn.chat_id, turn.t("reading.view_empty", number=account.number, period=name))
        return
    lines = [turn.t("reading.view_header", number=account.number, period=name)]
    lines += [
        turn.t(
            "reading.view_line",
            meter=meter_label(turn.t, r.meter.meter_type, r.meter.meter_id),
            value=format_value(turn.t, r.value),
        )
        for r in readings
    ]
    await bot.send_message(
        turn.chat_id, "\n".join(lines), reply_markup=withdraw_keyboard(turn.t, [r.meter for r in readings])
    )


async def ask_value(
    query: CallbackQuery, *, callback_data: MeterCb, bot: Bot, state: FSMContext, turn: Turn, deps: Deps
) -> None:
    await query.answer()
    meter = await owned_meter(deps, turn, callback_data.ref)
    if meter is None:
        await bot.send_message(turn.chat_id, turn.t("meter.not_owned"))
        return
    label = meter_label(turn.t, meter.meter_type, meter.meter_id)
    previous = await deps.read_model.previous_value(meter, deps.current_period())
    await state.set_state(EnterReading.value)
    await state.set_data({"account": meter.account_number, "meter_id": meter.meter_id, "label": label})
    await bot.send_message(
        turn.chat_id, turn.t("reading.prompt", meter=label, prev=format_value(turn.t, previous))
    )


async def take_value(message: Message, state: FSMContext, turn: Turn, deps: Deps) -> None:
    data = await state.get_data()
    await state.clear()
    command = ReadingSubmitted(
        chat_id=turn.chat_id,
        account_number=data["account"],
        meter_id=data["meter_id"],
        raw_value=(message.text or "").strip()[:MAX_RAW],
    )
    if not await deps.bus.send(turn, "reading", command, data):
        await message.answer(turn.t("common.send_failed"))


async def value_fallback(message: Message, turn: Turn) -> None:
    await message.answer(turn.t("reading.text_only"))


async def withdraw(query: CallbackQuery, callback_data: WithdrawCb, bot: Bot, turn: Turn, deps: Deps) -> None:
    await query.answer()
    meter = await owned_meter(deps, turn, callback_data.ref)
    if meter is None:
        await bot.send_message(turn.chat_id, turn.t("meter.not_owned"))
        return
    label = meter_label(turn.t, meter.meter_type, meter.meter_id)
    command = ReadingWithdrawalRequested(
        chat_id=turn.chat_id, account_number=meter.account_number, meter_id=meter.meter_id
    )
    data = {"account": meter.account_number, "meter_id": meter.meter_id, "label": label}
    if not await deps.bus.send(turn, "withdraw", command, data):
        await bot.send_message(turn.chat_id, turn.t("common.send_failed"))


def router() -> Router:
    r = Router(name=__name__)
    r.message.filter(registered)
    r.callback_query.filter(registered)
    r.callback_query.register(list_meters, AccountCb.filter(F.action == AccountAction.ENTER))
    r.callback_query.register(view_period, AccountCb.filter(F.action == AccountAction.VIEW))
    r.callback_query.register(ask_value, MeterCb.filter())
    r.callback_query.register(withdraw, WithdrawCb.filter())
    r.message.register(take_value, EnterReading.value, F.text)
    r.message.register(value_fallback, EnterReading.value)
    return r
