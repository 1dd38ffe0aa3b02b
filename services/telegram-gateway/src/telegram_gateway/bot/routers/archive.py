"""«Архив показаний» and «Информация о приборах» for a chosen account (buttons under «Выбрать ЛС» ->
the account, next to «Ввести показания»). Archive: the years with readings as buttons -> the
year's months per meter with consumption, then a chart of the last 12 months' consumption as a
photo (rendered in a worker thread). Both read the gateway's read model (readmodel/archive.py)."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import BufferedInputFile, CallbackQuery

from telegram_gateway.archive_view import (
    chart_caption,
    chart_window,
    meters_info_text,
    year_chart,
    year_text,
)
from telegram_gateway.bot.callbacks import AccountAction, AccountCb, ArchiveYearCb
from telegram_gateway.bot.context import Deps, Turn
from telegram_gateway.bot.filters import owned_account, registered
from telegram_gateway.bot.keyboards import archive_years_keyboard
from telegram_gateway.chart import render_png_async
from telegram_gateway.readmodel import LinkedAccount
from telegram_gateway.readmodel.archive import years_of
from telegram_gateway.replies import split_text


async def choose_year(query: CallbackQuery, bot: Bot, turn: Turn, deps: Deps, account: LinkedAccount) -> None:
    await query.answer()
    years = years_of(await deps.read_model.archive.archive(turn.chat_id, account.number))
    if not years:
        await bot.send_message(turn.chat_id, turn.t("archive.empty", number=account.number))
        return
    await bot.send_message(
        turn.chat_id,
        turn.t("archive.choose_year", number=account.number),
        reply_markup=archive_years_keyboard(account.number, years),
    )


async def show_year(
    query: CallbackQuery,
    *,
    bot: Bot,
    turn: Turn,
    deps: Deps,
    account: LinkedAccount,
    callback_data: ArchiveYearCb,
) -> None:
    await query.answer()
    archive = await deps.read_model.archive.archive(turn.chat_id, account.number)
    year = callback_data.year
    if year not in years_of(archive):  # an old button, or a forged year
        await bot.send_message(turn.chat_id, turn.t("archive.empty", number=account.number))
        return
    for part in split_text(year_text(turn.t, account.number, year, archive)):
        await bot.send_message(turn.chat_id, part)
    periods = chart_window(year, deps.current_period())
    chart = year_chart(turn.t, account.number, periods, archive)
    if chart is None:
        return
    png = await render_png_async(chart)
    await bot.send_photo(
        turn.chat_id,
        BufferedInputFile(png, filename=f"archive-{year}.png"),
        caption=chart_caption(turn.t, account.number, periods),
    )


async def meters_info(query: CallbackQuery, bot: Bot, turn: Turn, deps: Deps, account: LinkedAccount) -> None:
    await query.answer()
    meters = await deps.read_model.meters(turn.chat_id, account.number)
    last = await deps.read_model.archive.last_values(turn.chat_id, account.number)
    text = meters_info_text(turn.t, account.number, meters, last, deps.today(), deps.tz)
    for part in split_text(text):
        await bot.send_message(turn.chat_id, part)


async def account_not_owned(query: CallbackQuery, bot: Bot, turn: Turn) -> None:
    await query.answer()
    await bot.send_message(turn.chat_id, turn.t("account.not_owned"))


def router() -> Router:
    r = Router(name=__name__)
    r.callback_query.filter(registered)
    archive, info = AccountAction.ARCHIVE, AccountAction.METERS
    r.callback_query.register(choose_year, AccountCb.filter(F.action == archive), owned_account)
    r.callback_query.register(meters_info, AccountCb.filter(F.action == info), owned_account)
    r.callback_query.register(show_year, ArchiveYearCb.filter(), owned_account)
    r.callback_query.register(account_not_owned, AccountCb.filter(F.action.in_({archive, info})))
    r.callback_query.register(account_not_owned, ArchiveYearCb.filter())
    return r
