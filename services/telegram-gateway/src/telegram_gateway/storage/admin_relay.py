"""Which resident a message forwarded to the admin chat came from, so the admin's reply finds them."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg


@dataclass(frozen=True)
class RelayTarget:
    chat_id: int
    locale: str


class AdminRelay:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def remember(self, admin_chat_id: int, admin_message_id: int, target: RelayTarget) -> None:
        await self._pool.execute(
            "INSERT INTO admin_relay (admin_chat_id, admin_message_id, resident_chat_id, locale)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            admin_chat_id,
            admin_message_id,
            target.chat_id,
            target.locale,
        )

    async def target(self, admin_chat_id: int, admin_message_id: int) -> RelayTarget | None:
        row = await self._pool.fetchrow(
            "SELECT resident_chat_id, locale FROM admin_relay"
            " WHERE admin_chat_id = $1 AND admin_message_id = $2",
            admin_chat_id,
            admin_message_id,
        )
        return RelayTarget(row["resident_chat_id"], row["locale"]) if row else None
