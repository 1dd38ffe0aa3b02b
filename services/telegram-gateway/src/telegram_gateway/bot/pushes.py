"""Issue 15's unasked messages (news to the residents who asked for it, /broadcast) go through the
persisted paced outbound queue (telegram_gateway.outbound): enqueued in the transaction that records
the fact (a news item; the broadcast's AdminActionTaken), deduplicated by key, sent at Telegram's pace
by the gateway's OutboundSender. The texts are final here, in each chat's language (the one chosen
with /language, else its Telegram language)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

import asyncpg

from telegram_gateway.bot.info_texts import day
from telegram_gateway.i18n import Catalogue
from telegram_gateway.outbound import Outgoing, enqueue_many
from telegram_gateway.storage.admin_log import AdminLog, NewsItem

POLL_SECONDS = 0.5  # how often a broadcast's progress is read back from the queue

_CHATS = """
SELECT c.chat_id, coalesce(l.locale, c.language) AS language FROM rm_chats c
LEFT JOIN chat_languages l USING (chat_id)
{where} ORDER BY c.chat_id
"""
ALL_CHATS = _CHATS.format(where="")
SUBSCRIBERS = _CHATS.format(where="WHERE c.chat_id IN (SELECT chat_id FROM news_subscribers)")


async def publish_and_push(
    conn: asyncpg.Connection, log: AdminLog, catalogue: Catalogue, *, tz: ZoneInfo, actor: str, text: str
) -> tuple[NewsItem, int]:
    """Record the item and queue it for every subscriber, in the caller's transaction; the item and
    how many were queued. Used by /news and by `meterbot news publish` alike."""
    item = await log.publish_news(actor, text, conn=conn)
    messages = []
    for row in await conn.fetch(SUBSCRIBERS):
        t = catalogue.texts(row["language"])
        when = day(t, item.published_at.astimezone(tz).date())
        messages.append(
            Outgoing(
                row["chat_id"],
                t("admin_tools.news_push", date=when, text=item.text),
                f"news:{item.news_id}:{row['chat_id']}",
            )
        )
    await enqueue_many(conn, messages)
    return item, len(messages)


async def queue_broadcast(conn: asyncpg.Connection, catalogue: Catalogue, run: uuid.UUID, text: str) -> int:
    """Queue `text` for every registered chat; how many."""
    messages = [
        Outgoing(
            row["chat_id"],
            catalogue.texts(row["language"])("admin_tools.broadcast_text", text=text),
            f"broadcast:{run}:{row['chat_id']}",
        )
        for row in await conn.fetch(ALL_CHATS)
    ]
    await enqueue_many(conn, messages)
    return len(messages)


async def when_delivered(
    pool: asyncpg.Pool, run: uuid.UUID, total: int, done: Callable[[int, int], Awaitable[None]]
) -> None:
    """Once every message of the broadcast is sent or given up: done(sent, total). A watcher, not a
    test wait: nothing signals the queue's progress but its rows."""
    prefix = f"broadcast:{run}:%"
    while True:
        row = await pool.fetchrow(
            "SELECT count(*) FILTER (WHERE sent_at IS NOT NULL) AS sent,"
            " count(*) FILTER (WHERE sent_at IS NULL AND given_up_at IS NULL) AS pending"
            " FROM outbound_messages WHERE dedupe_key LIKE $1",
            prefix,
        )
        if row is not None and row["pending"] == 0:
            await done(int(row["sent"]), total)
            return
        await asyncio.sleep(POLL_SECONDS)
