"""The administrator's actions and the news as events in the gateway's own store (stream
`admin-{actor}`: who did what; stream `news-{id}`: an item's life), their views updated in the
same transaction. The outbox relay publishes them on meterbot.telegram-gateway.events.

Used by the admin chat's commands and by `meterbot news publish|withdraw` alike (one rule)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
from meterbot_contracts.gateway import AdminActionTaken, NewsPublished, NewsWithdrawn
from meterbot_platform.application import run_transaction
from meterbot_platform.eventstore import EventStore, NewEvent


@dataclass(frozen=True)
class NewsItem:
    news_id: uuid.UUID
    text: str
    published_at: datetime


def telegram_actor(user_id: int | None) -> str:
    return f"telegram:{user_id}" if user_id is not None else "telegram:unknown"


async def _append(conn: asyncpg.Connection, store: EventStore, stream: str, event: NewEvent) -> None:
    await store.append(conn, stream, [event], await store.stream_version(conn, stream))


class AdminLog:
    def __init__(self, pool: asyncpg.Pool, store: EventStore | None = None) -> None:
        self._pool, self._store = pool, store or EventStore()

    async def record(
        self, actor: str, action: str, argument: str = "", *, conn: asyncpg.Connection | None = None
    ) -> None:
        """In the caller's transaction when given (with what the action queued), else its own."""
        event = AdminActionTaken(actor=actor, action=action, argument=argument[:200], at=datetime.now(UTC))

        async def work(c: asyncpg.Connection) -> None:
            new = NewEvent.of(event, correlation_id=str(uuid.uuid4()))
            await _append(c, self._store, f"admin-{actor}", new)

        if conn is not None:
            await work(conn)
        else:
            await run_transaction(self._pool, work)

    async def publish_news(
        self, actor: str, text: str, *, conn: asyncpg.Connection | None = None
    ) -> NewsItem:
        """The item, recorded and shown from now on (AdminActionTaken "news" with it)."""
        item = NewsItem(uuid.uuid4(), text, datetime.now(UTC))
        published = NewsPublished(
            news_id=item.news_id, text=text, published_at=item.published_at, actor=actor
        )
        taken = AdminActionTaken(actor=actor, action="news", argument=str(item.news_id), at=item.published_at)

        async def work(c: asyncpg.Connection) -> NewsItem:
            correlation = str(item.news_id)
            await _append(
                c, self._store, f"news-{item.news_id}", NewEvent.of(published, correlation_id=correlation)
            )
            await _append(c, self._store, f"admin-{actor}", NewEvent.of(taken, correlation_id=correlation))
            await c.execute(
                "INSERT INTO rm_news (news_id, text, published_at) VALUES ($1, $2, $3)",
                item.news_id,
                text,
                item.published_at,
            )
            return item

        if conn is not None:
            return await work(conn)
        return await run_transaction(self._pool, work)

    async def withdraw_news(self, actor: str, news_id: uuid.UUID) -> bool:
        """False if there is no such item or it was withdrawn already (no event then)."""
        now = datetime.now(UTC)

        async def work(c: asyncpg.Connection) -> bool:
            done = await c.fetchval(
                "UPDATE rm_news SET withdrawn = true WHERE news_id = $1 AND NOT withdrawn RETURNING true",
                news_id,
            )
            if not done:
                return False
            withdrawn = NewsWithdrawn(news_id=news_id, withdrawn_at=now, actor=actor)
            taken = AdminActionTaken(actor=actor, action="news_withdraw", argument=str(news_id), at=now)
            await _append(
                c, self._store, f"news-{news_id}", NewEvent.of(withdrawn, correlation_id=str(news_id))
            )
            await _append(c, self._store, f"admin-{actor}", NewEvent.of(taken, correlation_id=str(news_id)))
            return True

        return await run_transaction(self._pool, work)

    async def latest_news(self, limit: int = 5) -> list[NewsItem]:
        rows = await self._pool.fetch(
            "SELECT news_id, text, published_at FROM rm_news WHERE NOT withdrawn"
            " ORDER BY published_at DESC LIMIT $1",
            limit,
        )
        return [NewsItem(r["news_id"], r["text"], r["published_at"]) for r in rows]
