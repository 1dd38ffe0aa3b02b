"""Readings for a chosen account: meter buttons (always, even for one meter) -> what stands in the
way is said now (closed meter, expired verification, window not open), else the value prompt with
the previous value -> ReadingSubmitted with the raw text; this period's readings and the meters
still to submit; withdrawing one after «Да». When readings asks about a typed value first (the counter
passed zero? a consumption above what is expected?), «Да» sends it again with the answer, «Нет» to
the rollover sends it as not rolled over (refused as below the previous value), «Нет» to the anomaly
keeps nothing and waits for the value again."""

from __future__ import annotations

from typing import Any, Literal

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from meterbot_contracts.fields import RAW_VALUE_MAX
from meterbot_contracts.readings import (
    DayNightReadingSubmitted,
    MeterType,
    ReadingSubmitted,
    ReadingSubmittedV2,
    ReadingWithdrawalRequested,
)

from telegram_gateway.bot import confirm
from telegram_gateway.bot.callbacks import AccountAction, AccountCb, CheckCb, Destructive, MeterCb, WithdrawCb
from telegram_gateway.bot.context import Deps, Turn
from telegram_gateway.bot.filters import owned_account, owned_meter, registered, still_asked
from telegram_gateway.bot.keyboards import meter_label, meters_keyboard, withdraw_keyboard
from telegram_gateway.bot.requests import request
from telegram_gateway.bot.states import EnterReading
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
    pair = await _day_night_pair(deps, turn, meter)
    if pair is not None:
        await _ask_day(bot, state, turn, deps, pair)
        return
    previous = await deps.read_model.previous_value(meter, deps.current_period())
    await state.set_state(EnterReading.value)
    await state.set_data({"account": meter.account_number, "meter_id": meter.meter_id, "label": label})
    await bot.send_message(
        turn.chat_id, turn.t("reading.prompt", meter=label, prev=format_value(turn.t, previous))
    )


_PAIRED = {
    MeterType.ELECTRICITY_DAY: MeterType.ELECTRICITY_NIGHT,
    MeterType.ELECTRICITY_NIGHT: MeterType.ELECTRICITY_DAY,
}


async def _day_night_pair(deps: Deps, turn: Turn, meter: MeterView) -> tuple[MeterView, MeterView] | None:
    """(day, night) when `meter` is one register of a two-tariff meter: the account's open meter of
    the other register type with the same serial number (issue 14 item 4)."""
    other_type = _PAIRED.get(meter.meter_type)
    if other_type is None or not meter.serial_number:
        return None
    meters = await deps.read_model.meters(turn.chat_id, meter.account_number)
    other = next(
        (m for m in meters if m.meter_type == other_type and m.serial_number == meter.serial_number), None
    )
    if other is None or _refusal_now(turn, deps, other, "") is not None:
        return None  # the other register cannot be entered now: this one alone, as before
    return (meter, other) if meter.meter_type == MeterType.ELECTRICITY_DAY else (other, meter)


async def _ask_day(
    bot: Bot, state: FSMContext, turn: Turn, deps: Deps, pair: tuple[MeterView, MeterView]
) -> None:
    day, night = pair
    label = meter_label(turn.t, day.meter_type, day.meter_id)
    night_label = meter_label(turn.t, night.meter_type, night.meter_id)
    previous = await deps.read_model.previous_value(day, deps.current_period())
    await state.set_state(EnterReading.value)
    await state.set_data(
        {
            "account": day.account_number,
            "meter_id": day.meter_id,
            "label": label,
            "night_meter_id": night.meter_id,
            "night_label": night_label,
        }
    )
    await bot.send_message(turn.chat_id, turn.t("checks.day_night_intro", day=label, night=night_label))
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
    if data.get("night_meter_id"):
        return await _take_pair_value(message, bot, state, turn, deps, raw[:MAX_RAW], data)
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


async def _take_pair_value(  # noqa: PLR0917  (the handler's dependencies, passed on)
    message: Message, bot: Bot, state: FSMContext, turn: Turn, deps: Deps, raw: str, data: dict[str, Any]
) -> Sent | None:
    """T1 typed: ask T2. T2 typed: both go to readings in one command (kept together or not at all)."""
    if "day_raw" not in data:
        await state.update_data(day_raw=raw)
        night = next(
            (
                m
                for m in await deps.read_model.meters_of_chat(turn.chat_id)
                if m.meter_id == data["night_meter_id"]
            ),
            None,
        )
        previous = await deps.read_model.previous_value(night, deps.current_period()) if night else None
        prompt = turn.t("reading.prompt", meter=data["night_label"], prev=format_value(turn.t, previous))
        await message.answer(prompt)
        return None
    await state.clear()
    command = _pair_command(turn, data, night_raw=raw)
    return await request(
        bot, turn, deps, command, _pair_context(data, day_raw=data["day_raw"], night_raw=raw)
    )


def _pair_command(
    turn: Turn,
    data: dict[str, Any],
    *,
    night_raw: str,
    rollover: Literal["yes", "no"] | None = None,
    anomaly_confirmed: bool = False,
) -> DayNightReadingSubmitted:
    """T1 and T2 as one command, from what the chat's state holds (typed now or answered again)."""
    return DayNightReadingSubmitted(
        chat_id=turn.chat_id,
        account_number=data["account"],
        meter_id=data["meter_id"],
        raw_value=data["day_raw"],
        night_meter_id=data["night_meter_id"],
        night_raw_value=night_raw,
        rollover=rollover,
        anomaly_confirmed=anomaly_confirmed,
    )


def _pair_context(data: dict[str, Any], *, day_raw: str, night_raw: str) -> ReplyContext:
    return ReplyContext(
        account_number=data["account"],
        meter_id=data["meter_id"],
        label=data["label"],
        night_meter_id=data["night_meter_id"],
        night_label=data["night_label"],
        day_raw=day_raw,
        night_raw=night_raw,
    )


async def value_fallback(message: Message, turn: Turn) -> None:
    await message.answer(turn.t("reading.text_only"))


async def ask_withdraw(
    query: CallbackQuery, *, bot: Bot, state: FSMContext, turn: Turn, deps: Deps, meter: MeterView
) -> None:
    """«Отменить: <meter>» (maybe from an old message): ask before withdrawing."""
    await query.answer()
    label = meter_label(turn.t, meter.meter_type, meter.meter_id)
    buttons = await confirm.ask(state, turn.t, Destructive.WITHDRAW, meter.meter_id)
    await bot.send_message(
        turn.chat_id,
        turn.t("reading.confirm_withdraw", meter=label, period=period_name(turn.t, deps.current_period())),
        reply_markup=buttons,
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


async def check_answered(
    query: CallbackQuery, callback_data: CheckCb, *, bot: Bot, state: FSMContext, turn: Turn, deps: Deps
) -> Sent | None:
    """«Да» / «Нет» under readings' question about the value the resident typed."""
    await query.answer()
    data = await state.get_data()
    if data.get("check") != callback_data.check:  # a button of an earlier question
        return None
    await state.clear()
    context = ReplyContext(account_number=data["account"], meter_id=data["meter_id"], label=data["label"])
    if callback_data.check == "anomaly" and not callback_data.yes:
        await _enter_again(bot, state, turn, deps, context)
        return None
    rollover = data.get("rollover")
    if callback_data.check == "rollover":
        rollover = "yes" if callback_data.yes else "no"
    if data.get("night_meter_id"):  # a question about T1 or T2: both go again, with the answer
        pair = _pair_command(
            turn,
            data,
            night_raw=data["night_raw"],
            rollover=rollover,
            anomaly_confirmed=callback_data.check == "anomaly",
        )
        context = _pair_context(data, day_raw=data["day_raw"], night_raw=data["night_raw"])
        return await request(bot, turn, deps, pair, context)
    command = ReadingSubmittedV2(
        chat_id=turn.chat_id,
        account_number=data["account"],
        meter_id=data["meter_id"],
        raw_value=data["raw"],
        rollover=rollover,
        anomaly_confirmed=callback_data.check == "anomaly",
    )
    return await request(bot, turn, deps, command, context)


async def _enter_again(bot: Bot, state: FSMContext, turn: Turn, deps: Deps, context: ReplyContext) -> None:
    """The anomaly was not confirmed: nothing is kept, the chat waits for the value of that meter again."""
    meters = await deps.read_model.meters_of_chat(turn.chat_id)
    meter = next((m for m in meters if m.meter_id == context.meter_id), None)
    previous = await deps.read_model.previous_value(meter, deps.current_period()) if meter else None
    await state.set_state(EnterReading.value)
    await state.set_data(
        {"account": context.account_number, "meter_id": context.meter_id, "label": context.label}
    )
    text = turn.t("checks.anomaly_cancelled", meter=context.label, prev=format_value(turn.t, previous))
    await bot.send_message(turn.chat_id, text)


async def check_stale(query: CallbackQuery, bot: Bot, turn: Turn) -> None:
    """A «Да» / «Нет» of a question that was answered or left: nothing is sent to readings."""
    await query.answer()
    await bot.send_message(turn.chat_id, turn.t("checks.stale"))


async def check_fallback(message: Message, turn: Turn) -> None:
    await message.answer(turn.t("checks.answer_buttons"))


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
    yes, no = confirm.answer(Destructive.WITHDRAW, yes=True), confirm.answer(Destructive.WITHDRAW, yes=False)
    r.callback_query.register(withdraw_confirmed, yes, owned_meter, still_asked)
    r.callback_query.register(withdraw_declined, no, still_asked)
    r.callback_query.register(meter_not_owned, MeterCb.filter())
    r.callback_query.register(meter_not_owned, WithdrawCb.filter())
    r.message.register(take_value, EnterReading.value, F.text)
    r.message.register(value_fallback, EnterReading.value)
    r.callback_query.register(check_answered, CheckCb.filter(), EnterReading.confirm)
    r.callback_query.register(check_stale, CheckCb.filter())
    r.message.register(check_fallback, EnterReading.confirm)
    return r
