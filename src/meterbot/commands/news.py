"""`meterbot news publish FILE.md` / `meterbot news withdraw ID`: the administrator's news from the
command line, the same events as `/news` in the admin chat (NewsPublished / NewsWithdrawn and an
AdminActionTaken naming `cli:<login>`), written through the gateway's own store (its database on
METERBOT_POSTGRES_DSN or the running `meterbot up` stack's). Residents see the item under
«Дополнительно» → «Новости» at once, and the item is queued for the residents who asked for news (the
gateway's outbound queue, in the same transaction; the running gateway sends it at Telegram's pace).
Exit code: 0 done, 1 no such item (withdraw), 2 usage or database error."""

from __future__ import annotations

import asyncio
import getpass
import sys
import uuid
from pathlib import Path
from typing import Any

import asyncpg
from meterbot_contracts.gateway import NEWS_TEXT_MAX
from meterbot_platform.db import database_dsn
from meterbot_platform.settings import PostgresSettings
from telegram_gateway.bot.pushes import publish_and_push
from telegram_gateway.i18n import load_catalogue
from telegram_gateway.settings import GatewaySettings
from telegram_gateway.storage.admin_log import AdminLog

from meterbot import state

EXIT_OK, EXIT_NOT_FOUND, EXIT_ERROR = 0, 1, 2
GATEWAY_DATABASE = "gateway"


def _server_dsn() -> str:
    return state.settings_env().get("METERBOT_POSTGRES_DSN") or PostgresSettings().postgres_dsn


def actor() -> str:
    return f"cli:{getpass.getuser()}"


def read_news(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        sys.stderr.write(f"meterbot news publish: {path}: {exc}\n")
        return None


def _publish_file(path: Path, once: bool) -> int:
    text = read_news(path)
    return EXIT_ERROR if text is None else asyncio.run(publish(text, once=once))


async def publish(
    text: str, server_dsn: str | None = None, *, once: bool = False, database: str = GATEWAY_DATABASE
) -> int:
    if not text or len(text) > NEWS_TEXT_MAX:
        sys.stderr.write(f"meterbot news publish: the text must have 1 to {NEWS_TEXT_MAX} characters\n")
        return EXIT_ERROR
    try:
        pool = await asyncpg.create_pool(
            database_dsn(server_dsn or _server_dsn(), database), min_size=1, max_size=2
        )
        try:
            if once and await pool.fetchval(
                "SELECT true FROM rm_news WHERE text = $1 AND NOT withdrawn", text
            ):
                print("news already published")
                return EXIT_OK
            async with pool.acquire() as conn, conn.transaction():
                item, queued = await publish_and_push(
                    conn,
                    AdminLog(pool),
                    load_catalogue(),
                    tz=GatewaySettings().time_zone,
                    actor=actor(),
                    text=text,
                )
        finally:
            await pool.close()
    except (OSError, asyncpg.PostgresError) as exc:
        sys.stderr.write(f"meterbot news publish: {type(exc).__name__}: {exc}\n")
        return EXIT_ERROR
    print(f"news {item.news_id} published, queued for {queued} subscribed residents")
    return EXIT_OK


async def withdraw(
    news_id: uuid.UUID, server_dsn: str | None = None, *, database: str = GATEWAY_DATABASE
) -> int:
    try:
        pool = await asyncpg.create_pool(
            database_dsn(server_dsn or _server_dsn(), database), min_size=1, max_size=2
        )
        try:
            done = await AdminLog(pool).withdraw_news(actor(), news_id)
        finally:
            await pool.close()
    except (OSError, asyncpg.PostgresError) as exc:
        sys.stderr.write(f"meterbot news withdraw: {type(exc).__name__}: {exc}\n")
        return EXIT_ERROR
    if not done:
        sys.stderr.write(f"meterbot news withdraw: no news {news_id}, or withdrawn already\n")
        return EXIT_NOT_FOUND
    print(f"news {news_id} withdrawn")
    return EXIT_OK


def register(subparsers: Any) -> None:
    news = subparsers.add_parser("news", help="news items residents read under «Дополнительно»")
    commands = news.add_subparsers(dest="news_command", required=True)
    pub = commands.add_parser(
        "publish", help="publish the text of a file as a news item", description=__doc__
    )
    pub.add_argument("file", type=Path, help="the text (UTF-8; Markdown is shown as typed)")
    pub.add_argument("--once", action="store_true", help="do nothing if an item with this text is shown")
    pub.set_defaults(func=lambda a: _publish_file(a.file, a.once))
    wd = commands.add_parser("withdraw", help="withdraw a news item")
    wd.add_argument("news_id", type=uuid.UUID, help="the id `publish` printed")
    wd.set_defaults(func=lambda a: asyncio.run(withdraw(a.news_id)))
