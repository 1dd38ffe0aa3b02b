"""The administrator's tools, in the admin chat only (every other chat hears they are not for it):
/stats, /missing (a CSV file), /find <account> (no phone numbers), /broadcast <text> (paced, a count
when done), /news <text>, /news_withdraw <id>. Each use is an AdminActionTaken event naming who.
The admin chat reads the default locale, as for relayed messages."""

from __future__ import annotations

import uuid

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message

from telegram_gateway.bot.context import Deps, Turn
from telegram_gateway.bot.info_context import Info
from telegram_gateway.bot.info_texts import card_text, day, missing_csv, stats_text
from telegram_gateway.bot.pushes import Push
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
    chats = await info.queries.registered_chats()
    await info.log.record(_actor(message), "broadcast", f"{run}: {len(chats)} chats: {text}")
    pushes = []
    for chat_id in chats:
        resident_t = deps.catalogue.texts(
            await info.queries.chosen_locale(chat_id) or await deps.read_model.language(chat_id)
        )
        pushes.append(
            Push(chat_id, resident_t("admin_tools.broadcast_text", text=text), f"broadcast:{run}:{chat_id}")
        )
    await message.answer(t("admin_tools.broadcast_started", count=len(pushes)))
    admin_chat = message.chat.id

    async def done(sent: int, total: int) -> None:
        await bot.send_message(admin_chat, t("admin_tools.broadcast_done", sent=sent, count=total))

    await info.pusher.push_many(pushes, done)


async def push_news(item: NewsItem, deps: Deps, info: Info) -> None:
    """A new item to every chat that asked for news, in its language."""
    pushes = []
    for chat_id in await info.queries.subscribers():
        t = deps.catalogue.texts(
            await info.queries.chosen_locale(chat_id) or await deps.read_model.language(chat_id)
        )
        when = day(t, item.published_at.astimezone(deps.tz).date())
        pushes.append(
            Push(
                chat_id,
                t("admin_tools.news_push", date=when, text=item.text),
                f"news:{item.news_id}:{chat_id}",
            )
        )
    await info.pusher.push_many(pushes)


async def news(message: Message, command: CommandObject, deps: Deps, info: Info) -> None:
    t = deps.catalogue.texts(None)
    text = (command.args or "").strip()
    if not text:
        await message.answer(t("admin_tools.news_usage"))
        return
    item = await info.log.publish_news(_actor(message), text[:3500])
    await message.answer(t("admin_tools.news_published", news_id=item.news_id))
    await push_news(item, deps, info)


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
