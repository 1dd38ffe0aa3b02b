"""`meterbot news publish|withdraw` on the gateway's real database: the same events as /news (with
the CLI user as actor), «Новости»' view updated at once, the item queued for subscribers in the same
transaction, --once idempotent, withdraw once."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from meterbot_platform.db import database_dsn
from meterbot_platform.migrations import migrate
from meterbot_platform.runtime import PLATFORM_MIGRATIONS
from meterbot_testing.infra import Postgres
from telegram_gateway.storage.admin_log import AdminLog
from telegram_gateway.storage.schema import MIGRATIONS as GATEWAY_MIGRATIONS

from meterbot.commands import news

pytestmark = pytest.mark.integration


@contextlib.asynccontextmanager
async def gateway_database(server_dsn: str) -> AsyncIterator[tuple[str, asyncpg.Pool]]:
    name = f"gwnews_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    pool = await asyncpg.create_pool(database_dsn(server_dsn, name), min_size=1, max_size=2)
    assert pool is not None
    try:
        await migrate(pool, (*PLATFORM_MIGRATIONS, *GATEWAY_MIGRATIONS))
        yield name, pool
    finally:
        await pool.close()
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


async def test_publish_once_and_withdraw(postgres: Postgres, capsys: pytest.CaptureFixture[str]) -> None:
    async with gateway_database(postgres.dsn) as (name, pool):
        await pool.execute("INSERT INTO rm_chats (chat_id, language) VALUES (1, 'ru'), (2, 'en'), (3, 'ru')")
        await pool.execute("INSERT INTO news_subscribers (chat_id) VALUES (1), (2)")
        assert await news.publish("Плановое отключение", postgres.dsn, database=name) == news.EXIT_OK
        queued = await pool.fetch("SELECT chat_id, text FROM outbound_messages ORDER BY chat_id")
        assert [r["chat_id"] for r in queued] == [1, 2]  # the subscribers only, in their languages
        assert queued[0]["text"].startswith("Новость от ") and queued[1]["text"].startswith("News of ")
        assert await news.publish("Вторая", postgres.dsn, database=name, once=True) == news.EXIT_OK
        assert await news.publish("Вторая", postgres.dsn, database=name, once=True) == news.EXIT_OK
        shown = await AdminLog(pool).latest_news()
        assert [i.text for i in shown] == ["Вторая", "Плановое отключение"]  # newest first, once
        actors = {r["a"] for r in await pool.fetch("SELECT data->>'actor' AS a FROM events")}
        assert actors == {news.actor()} and news.actor().startswith("cli:")
        first = shown[1].news_id
        assert await news.withdraw(first, postgres.dsn, database=name) == news.EXIT_OK
        assert await news.withdraw(first, postgres.dsn, database=name) == news.EXIT_NOT_FOUND
        assert [i.text for i in await AdminLog(pool).latest_news()] == ["Вторая"]
        types = [r["type"] for r in await pool.fetch("SELECT type FROM events ORDER BY position")]
        assert types.count("NewsPublished") == 2 and types.count("NewsWithdrawn") == 1
        assert types.count("AdminActionTaken") == 3
    out = capsys.readouterr().out
    assert "queued for 2 subscribed residents" in out and "already published" in out
