"""The administrator's tools, in the admin chat only (every other chat hears they are not for it):
/stats, /missing (a CSV file), /find <account> (no phone numbers), /broadcast <text> (paced, a count
when done), /news <text>, /news_withdraw <id>. Each use is an AdminActionTaken event naming who.
The admin chat reads the default locale, as for relayed messages."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message
from meterbot_contracts.gateway import NEWS_TEXT_MAX
from meterbot_platform.application import run_transaction

from telegram_gateway.bot.context import Deps, Turn
from telegram_gateway.bot.info_context import Info
from telegram_gateway.bot.info_texts import card_text, missing_csv, stats_text
from telegram_gateway.bot.pushes import publish_and_push, queue_broadcast, when_delivered
from telegram_gateway.storage.admin_log import NewsItem, telegram_actor

COMMANDS = ("stats", "missing", "find", "broadcast", "news", "news_withdraw")


def _actor(message: Message) -> str:
    return telegram_actor(message.from_user.id if message.from_user else None)


async def stats(message: Message, deps: Deps, info: Info) -> None:
    t, period = deps.catalogue.texts(None), deps.current_period()
    await info.log.record(_actor(message), "stats", period)
    await message.answer(stats_text(t, await info.queries.stats(period), period))


async def missing(message: Message, deps: Deps, info: Info) -> None:
    t, period = deps.catalogue.texts(None), deps.current_period()
    rows = await info.queries.missing(period)
    await info.log.record(_actor(message), "missing", f"{period}: {len(rows)}")
    await message.answer_document(
        BufferedInputFile(missing_csv(rows), filename=f"missing-{period}.csv"),
        caption=t("admin_tools.missing_caption", period=period, count=len(rows)),
    )


async def find(message: Message, command: CommandObject, deps: Deps, info: Info) -> None:
    t = deps.catalogue.texts(None)
    number = (command.args or "").strip()
    if not number:
        await message.answer(t("admin_tools.find_usage"))
        return
    await info.log.record(_actor(message), "find", number)
    card = await info.queries.account_card(number)
    if card is None:
        await message.answer(t("admin_tools.find_unknown", number=number[:64]))
        return
    await message.answer(card_text(t, card, await info.queries.balance_of(number), deps.today()))


async def broadcast(message: Message, command: CommandObject, bot: Bot, deps: Deps, info: Info) -> None:
    t = deps.catalogue.texts(None)
    text = (command.args or "").strip()
    if not text:
        await message.answer(t("admin_tools.broadcast_usage"))
        return
    run = uuid.uuid4()

    async def work(conn: asyncpg.Connection) -> int:
        count = await queue_broadcast(conn, deps.catalogue, run, text)
        await info.log.record(_actor(message), "broadcast", f"{run}: {count} chats: {text}", conn=conn)
        return count

    count = await run_transaction(info.pool, work)
    await message.answer(t("admin_tools.broadcast_started", count=count))
    admin_chat = message.chat.id

    async def done(sent: int, total: int) -> None:
        await bot.send_message(admin_chat, t("admin_tools.broadcast_done", sent=sent, count=total))

    watcher = asyncio.create_task(when_delivered(info.pool, run, count, done))
    info.watchers.add(watcher)
    watcher.add_done_callback(info.watchers.discard)


async def news(message: Message, command: CommandObject, deps: Deps, info: Info) -> None:
    t = deps.catalogue.texts(None)
    text = (command.args or "").strip()
    if not text:
        await message.answer(t("admin_tools.news_usage"))
        return

    async def work(conn: asyncpg.Connection) -> NewsItem:
        item, _ = await publish_and_push(
            conn, info.log, deps.catalogue, tz=deps.tz, actor=_actor(message), text=text[:NEWS_TEXT_MAX]
        )
        return item

    item = await run_transaction(info.pool, work)
    await message.answer(t("admin_tools.news_published", news_id=item.news_id))


async def news_withdraw(message: Message, command: CommandObject, deps: Deps, info: Info) -> None:
    t = deps.catalogue.texts(None)
    try:
        news_id = uuid.UUID((command.args or "").strip())
    except ValueError:
        await message.answer(t("admin_tools.news_withdraw_usage"))
        return
    done = await info.log.withdraw_news(_actor(message), news_id)
    await message.answer(
        t("admin_tools.news_withdrawn" if done else "admin_tools.news_not_found", news_id=news_id)
    )


async def refused(message: Message, turn: Turn) -> None:
    await message.answer(turn.t("admin_tools.refused"))


def router(admin_chat_id: int | None) -> Router:
    """First of all routers: the admin chat's commands before its catch-all hint, and the refusal
    elsewhere before the residents' unknown-command answer."""
    r = Router(name=__name__)
    if admin_chat_id is not None:
        here = F.chat.id == admin_chat_id
        r.message.register(stats, Command("stats", ignore_case=True), here)
        r.message.register(missing, Command("missing", ignore_case=True), here)
        r.message.register(find, Command("find", ignore_case=True), here)
        r.message.register(broadcast, Command("broadcast", ignore_case=True), here)
        r.message.register(news, Command("news", ignore_case=True), here)
        r.message.register(news_withdraw, Command("news_withdraw", ignore_case=True), here)
    r.message.register(refused, Command(*COMMANDS, ignore_case=True))
    return r
