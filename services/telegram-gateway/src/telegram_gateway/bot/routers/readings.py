"""Readings for a chosen account: meter buttons (always, even for one meter) -> what stands in the
way is said now (closed meter, expired verification, window not open), else the value prompt with
the previous value -> ReadingSubmitted with the raw text; this period's readings and the meters
still to submit; withdrawing one after «Да»."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from meterbot_contracts.fields import RAW_VALUE_MAX
from meterbot_contracts.readings import ReadingSubmitted, ReadingWithdrawalRequested

from telegram_gateway.bot.callbacks import (
    AccountAction,
    AccountCb,
    ConfirmCb,
    Destructive,
    MeterCb,
    WithdrawCb,
    ref_for,
)
from telegram_gateway.bot.context import Deps, Turn
from telegram_gateway.bot.filters import owned_account, owned_meter, registered, still_asked
from telegram_gateway.bot.keyboards import confirm_keyboard, meter_label, meters_keyboard, withdraw_keyboard
from telegram_gateway.bot.requests import request
from telegram_gateway.bot.states import Confirm, EnterReading
from telegram_gateway.bot.validation import has_control_chars
from telegram_gateway.commands import Sent
from telegram_gateway.readmodel import LinkedAccount, MeterView
from telegram_gateway.replies import format_day, format_value, period_name, view_lines
from telegram_gateway.storage.pending import ReplyContext

MAX_RAW = RAW_VALUE_MAX  # ReadingSubmitted.raw_value: longer text is no number anyway; readings says so


async def list_meters(query: CallbackQuery, bot: Bot, turn: Turn, deps: Deps, account: LinkedAccount) -> None:
    await query.answer()
    meters = await deps.read_model.meters(turn.chat_id, account.number)
    if not meters:
        await bot.send_message(turn.chat_id, turn.t("reading.no_meters", number=account.number))
        return
    await bot.send_message(
        turn.chat_id, turn.t("reading.choose_meter"), reply_markup=meters_keyboard(turn.t, meters)
    )


async def view_period(query: CallbackQuery, bot: Bot, turn: Turn, deps: Deps, account: LinkedAccount) -> None:
    """This period's readings, and the meters still to submit, each with its previous value."""
    await query.answer()
    period = deps.current_period()
    meters = await deps.read_model.meters(turn.chat_id, account.number)
    readings = await deps.read_model.period_readings(turn.chat_id, account.number, period, with_refused=True)
    if not meters and not readings:
        await bot.send_message(turn.chat_id, turn.t("reading.no_meters", number=account.number))
        return
    previous = {m.meter_id: await deps.read_model.previous_value(m, period) for m in meters}
    for r in readings:
        previous.setdefault(r.meter.meter_id, await deps.read_model.previous_value(r.meter, period))
    exported = await deps.read_model.period_closed(period)
    lines = view_lines(turn.t, account.number, period, meters, readings, previous, deps.tz, exported=exported)
    current = [r.meter for r in readings if r.status == "current"]
    await bot.send_message(
        turn.chat_id, "\n".join(lines), reply_markup=withdraw_keyboard(turn.t, [] if exported else current)
    )


async def ask_value(
    query: CallbackQuery, *, bot: Bot, state: FSMContext, turn: Turn, deps: Deps, meter: MeterView
) -> None:
    await query.answer()
    label = meter_label(turn.t, meter.meter_type, meter.meter_id)
    refusal = _refusal_now(turn, deps, meter, label)
    if refusal is None and await deps.read_model.period_closed(deps.current_period()):
        refusal = turn.t("rejected.period_closed")
    if refusal is not None:  # readings would refuse any value: say so before one is typed
        await state.clear()
        await bot.send_message(turn.chat_id, refusal)
        return
    previous = await deps.read_model.previous_value(meter, deps.current_period())
    await state.set_state(EnterReading.value)
    await state.set_data({"account": meter.account_number, "meter_id": meter.meter_id, "label": label})
    await bot.send_message(
        turn.chat_id, turn.t("reading.prompt", meter=label, prev=format_value(turn.t, previous))
    )


def _refusal_now(turn: Turn, deps: Deps, meter: MeterView, label: str) -> str | None:
    """What readings is known to refuse for this meter today, from the read model and the window."""
    if meter.closed:
        return turn.t("rejected.meter_closed", meter=label)
    today = deps.today()
    if meter.verified_until is not None and meter.verified_until < today:
        return turn.t("reading.verification_expired_now", meter=label, date=format_day(meter.verified_until))
    if not deps.window.is_open(today):
        opens = deps.window.next_open(today)
        return turn.t(
            "reading.window_closed_now",
            days=str(deps.window),
            opens=format_day(opens) if opens else str(deps.window),
        )
    return None


async def meter_not_owned(query: CallbackQuery, bot: Bot, turn: Turn) -> None:
    await query.answer()
    await bot.send_message(turn.chat_id, turn.t("meter.not_owned"))


async def account_not_owned(query: CallbackQuery, bot: Bot, turn: Turn) -> None:
    await query.answer()
    await bot.send_message(turn.chat_id, turn.t("account.not_owned"))


async def take_value(message: Message, bot: Bot, state: FSMContext, turn: Turn, deps: Deps) -> Sent | None:
    raw = (message.text or "").strip()
    if not raw or has_control_chars(raw):  # answered here, never sent (a NUL broke readings' store)
        await message.answer(turn.t("reading.text_only"))
        return None
    data = await state.get_data()
    # Cleared now; a value readings refuses as mistyped puts the chat back on this meter (responder).
    await state.clear()
    command = ReadingSubmitted(
        chat_id=turn.chat_id,
        account_number=data["account"],
        meter_id=data["meter_id"],
        raw_value=raw[:MAX_RAW],
    )
    context = ReplyContext(account_number=data["account"], meter_id=data["meter_id"], label=data["label"])
    return await request(bot, turn, deps, command, context)


async def value_fallback(message: Message, turn: Turn) -> None:
    await message.answer(turn.t("reading.text_only"))


async def ask_withdraw(
    query: CallbackQuery, *, bot: Bot, state: FSMContext, turn: Turn, deps: Deps, meter: MeterView
) -> None:
    """«Отменить: <meter>» (maybe from an old message): ask before withdrawing."""
    await query.answer()
    label = meter_label(turn.t, meter.meter_type, meter.meter_id)
    ref = ref_for(meter.meter_id)
    await state.set_state(Confirm.asked)
    await state.set_data({"action": Destructive.WITHDRAW.value, "ref": ref})
    await bot.send_message(
        turn.chat_id,
        turn.t("reading.confirm_withdraw", meter=label, period=period_name(turn.t, deps.current_period())),
        reply_markup=confirm_keyboard(turn.t, Destructive.WITHDRAW, ref),
    )


async def withdraw_confirmed(
    query: CallbackQuery, *, bot: Bot, state: FSMContext, turn: Turn, deps: Deps, meter: MeterView
) -> Sent | None:
    await query.answer()
    await state.clear()
    label = meter_label(turn.t, meter.meter_type, meter.meter_id)
    command = ReadingWithdrawalRequested(
        chat_id=turn.chat_id, account_number=meter.account_number, meter_id=meter.meter_id
    )
    context = ReplyContext(account_number=meter.account_number, meter_id=meter.meter_id, label=label)
    return await request(bot, turn, deps, command, context)


async def withdraw_declined(query: CallbackQuery, bot: Bot, state: FSMContext, turn: Turn) -> None:
    await query.answer()
    await state.clear()
    await bot.send_message(turn.chat_id, turn.t("reading.withdraw_declined"))


def router() -> Router:
    r = Router(name=__name__)
    r.message.filter(registered)
    r.callback_query.filter(registered)
    enter, view = AccountAction.ENTER, AccountAction.VIEW
    r.callback_query.register(list_meters, AccountCb.filter(F.action == enter), owned_account)
    r.callback_query.register(view_period, AccountCb.filter(F.action == view), owned_account)
    r.callback_query.register(account_not_owned, AccountCb.filter(F.action.in_({enter, view})))
    r.callback_query.register(ask_value, MeterCb.filter(), owned_meter)
    r.callback_query.register(ask_withdraw, WithdrawCb.filter(), owned_meter)
    yes = ConfirmCb.filter((F.action == Destructive.WITHDRAW) & F.yes)
    no = ConfirmCb.filter((F.action == Destructive.WITHDRAW) & ~F.yes)
    r.callback_query.register(withdraw_confirmed, yes, owned_meter, still_asked)
    r.callback_query.register(withdraw_declined, no, still_asked)
    r.callback_query.register(meter_not_owned, MeterCb.filter())
    r.callback_query.register(meter_not_owned, WithdrawCb.filter())
    r.message.register(take_value, EnterReading.value, F.text)
    r.message.register(value_fallback, EnterReading.value)
    return r
